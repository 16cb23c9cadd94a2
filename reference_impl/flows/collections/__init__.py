"""Collections, RedCoop Pagos PSE (issue 13): a member pays their own products at their cooperative
from an account at any bank, through the gateway and PSE.

* :mod:`.models` — the JSON API's bodies, the signed WebCheckout form, the OTP messages;
* :mod:`.logic` — the pure decisions (payable products, amounts, payer, the payment's life, the
  reconciliation's lines) and the records the state keeps;
* :mod:`.state` — visits, payments, items and confirmations in SQL;
* :mod:`.service` — the use cases (the visit, «Iniciar transacción», completion, jobs, reconciliation);
* :mod:`.api`, :mod:`.pages` — ``/recaudos/v1`` and the pages under ``/recaudos``.
"""
