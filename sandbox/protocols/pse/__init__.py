"""ACH Colombia's PSE (Pagos Seguros en Línea), the protocol code every side of it shares.

``codes``       returnCode, transactionState, userType, what a refused creation means
``schedule``    when a collecting company asks ACH again about a PENDING transaction
``jwe``         compact JWE bodies (``alg=dir``, ``enc=A256GCM``)
``models``      what a collecting company sends and reads (CreatePayment, TransactionInfo, banks)
``collecting``  ACH as a collecting company calls it (OAuth token, the NF methods, the bank list)
``payer``       the payer a collecting company's form takes, and what ACH would refuse of it

ACH itself (the server side: validation, the transaction's life cycle, the portal) is the ``ach``
party (:mod:`sandbox.ach`); its module docstring documents the wire. PSE driven from a test or a
script (an entity, a bank, a payer's browser) is :mod:`sandbox.scripted.pse`.
"""
