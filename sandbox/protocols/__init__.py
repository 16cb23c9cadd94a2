"""Protocol code shared by several parties."""
