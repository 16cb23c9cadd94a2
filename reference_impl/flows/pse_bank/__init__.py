"""PSE payments debited from cooperative accounts: the switch as PSE bank 1066 (Banco Cooperativo
Coopcentral) and the network portal (rules PSE-04..12).

* :mod:`.models` — the flow's API wire;
* :mod:`.logic` — the pure decisions (states, document, limits with the product's caps, login throttle);
* :mod:`.portal` — the portal's users and their scrypt password hashes;
* :mod:`.state` — payments by CUS, attempts and failed logins in SQL;
* :mod:`.service` — the use cases (front, document, entities, login, pay, OTP, post, ACH, jobs);
* :mod:`.api`, :mod:`.pages` — the routes (``/pse/v1``) and the bank's pages (``/pse/banco/{cus}``);
* :mod:`.reconciliation` — the day's comparison of the switch, coop and ACH.
"""
