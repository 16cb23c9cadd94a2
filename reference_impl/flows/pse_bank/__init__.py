"""PSE debits of a cooperative member (Banco Cooperativo Coopcentral, 1066): only the landing page so far."""
