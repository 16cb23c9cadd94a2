"""PayU Latam (the gateway's protocol), the code every side of it shares.

``signatures``  request, confirmation and response-page signatures (MD5, SHA-1, SHA-256)
``codes``       transaction states with their ``state_pol``, response codes and messages

The gateway (:mod:`sandbox.gateway`) is PayU's side; a merchant signs requests and checks
confirmations with :mod:`.signatures`.
"""
