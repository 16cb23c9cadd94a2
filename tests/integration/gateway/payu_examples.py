"""PayU Latam's documented request/response examples, one per command the gateway accepts.

Re-typed from PayU's developer documentation (developers.payulatam.com, "Payments API - Colombia",
"Queries API", "Voids and Refunds API", "Response codes and variables") and from the responses
that open-source PayU clients test against (Active Merchant's ``payu_latam`` fixtures). The
requests are PayU's own, with PayU's public test credentials, which are the world's merchant
508029 / account 512321, so they run unchanged against the sandbox (the PSE example's signature
``1d6c33aed575c4974ad5c0be7c6a1c87`` is right for it). Only what would leave the machine is
changed by the tests (``notifyUrl``).

A response example is the *shape* the gateway must answer with: the same keys at every level,
the same JSON types (``None`` in an example stands for "may be null"; numbers are numbers, dates
are epoch milliseconds). ``extraParameters`` and ``additionalValues`` are open maps.
"""

from __future__ import annotations

from typing import Any

MERCHANT = {"apiLogin": "pRRXKOl8ikMmt9u", "apiKey": "4Vj8eK4rloUd272L48hsrarnUA"}

# -- payments API ---------------------------------------------------------------------------
PING_REQUEST: dict[str, Any] = {"test": False, "language": "en", "command": "PING", "merchant": MERCHANT}
PING_RESPONSE: dict[str, Any] = {"code": "SUCCESS", "error": None, "transactionResponse": None}

GET_PAYMENT_METHODS_REQUEST: dict[str, Any] = {
    "test": False,
    "language": "en",
    "command": "GET_PAYMENT_METHODS",
    "merchant": MERCHANT,
}
GET_PAYMENT_METHODS_RESPONSE: dict[str, Any] = {
    "code": "SUCCESS",
    "error": None,
    "paymentMethods": [{"id": "35", "description": "BALOTO", "country": "CO", "enabled": True, "reason": None}],
}

GET_BANKS_LIST_REQUEST: dict[str, Any] = {
    "language": "es",
    "command": "GET_BANKS_LIST",
    "merchant": MERCHANT,
    "test": False,
    "bankListInformation": {"paymentMethod": "PSE", "paymentCountry": "CO"},
}
GET_BANKS_LIST_RESPONSE: dict[str, Any] = {
    "code": "SUCCESS",
    "error": None,
    "banks": [
        {
            "id": "34e6e912-a395-4d31-9599-9baa176c1a61",
            "description": "A continuación seleccione su banco",
            "pseCode": "0",
        },
        {"id": "5dfa1b2c-64bd-4e8c-9fad-585337cfd4ff", "description": "BANCO UNION COLOMBIANO", "pseCode": "1022"},
    ],
}

#: "Submit transaction with bank transfer (PSE)", Colombia.
PSE_REQUEST: dict[str, Any] = {
    "language": "es",
    "command": "SUBMIT_TRANSACTION",
    "merchant": {"apiKey": "4Vj8eK4rloUd272L48hsrarnUA", "apiLogin": "pRRXKOl8ikMmt9u"},
    "transaction": {
        "order": {
            "accountId": "512321",
            "referenceCode": "PRODUCT_TEST_2021-06-23T19:59:43.229Z",
            "description": "Payment test description",
            "language": "es",
            "signature": "1d6c33aed575c4974ad5c0be7c6a1c87",
            "notifyUrl": "http://www.payu.com/notify",
            "additionalValues": {
                "TX_VALUE": {"value": 65000, "currency": "COP"},
                "TX_TAX": {"value": 10378, "currency": "COP"},
                "TX_TAX_RETURN_BASE": {"value": 54622, "currency": "COP"},
            },
            "buyer": {
                "merchantBuyerId": "1",
                "fullName": "First name and second buyer name",
                "emailAddress": "buyer_test@test.com",
                "contactPhone": "7563126",
                "dniNumber": "123456789",
                "shippingAddress": {
                    "street1": "Cr 23 No. 53-50", "street2": "5555487", "city": "Bogotá", "state": "Bogotá D.C.",
                    "country": "CO", "postalCode": "000000", "phone": "7563126",
                },
            },
            "shippingAddress": {
                "street1": "Cr 23 No. 53-50", "street2": "5555487", "city": "Bogotá", "state": "Bogotá D.C.",
                "country": "CO", "postalCode": "0000000", "phone": "7563126",
            },
        },
        "payer": {
            "merchantPayerId": "1",
            "fullName": "First name and second payer name",
            "emailAddress": "payer_test@test.com",
            "contactPhone": "7563126",
            "dniNumber": "5415668464654",
            "billingAddress": {
                "street1": "Cr 23 No. 53-50", "street2": "125544", "city": "Bogotá", "state": "Bogotá D.C.",
                "country": "CO", "postalCode": "000000", "phone": "7563126",
            },
        },
        "extraParameters": {
            "RESPONSE_URL": "http://www.payu.com/response",
            "PSE_REFERENCE1": "127.0.0.1",
            "FINANCIAL_INSTITUTION_CODE": "1022",
            "USER_TYPE": "N",
            "PSE_REFERENCE2": "CC",
            "PSE_REFERENCE3": "123456789",
        },
        "type": "AUTHORIZATION_AND_CAPTURE",
        "paymentMethod": "PSE",
        "paymentCountry": "CO",
        "deviceSessionId": "vghs6tvkcle931686k1900o6e1",
        "ipAddress": "127.0.0.1",
        "cookie": "pt1t38347bs6jc9ruv2ecpv7o2",
        "userAgent": "Mozilla/5.0 (Windows NT 5.1; rv:18.0) Gecko/20100101 Firefox/18.0",
    },
    "test": False,
}  # fmt: skip
PSE_RESPONSE: dict[str, Any] = {
    "code": "SUCCESS",
    "error": None,
    "transactionResponse": {
        "orderId": 1400449959,
        "transactionId": "4d49e544-e23f-474e-92b1-59357e0e85e8",
        "state": "PENDING",
        "paymentNetworkResponseCode": None,
        "paymentNetworkResponseErrorMessage": None,
        "trazabilityCode": "2204682",
        "authorizationCode": None,
        "pendingReason": "AWAITING_NOTIFICATION",
        "responseCode": "PENDING_TRANSACTION_CONFIRMATION",
        "errorCode": None,
        "responseMessage": None,
        "transactionDate": None,
        "transactionTime": None,
        "operationDate": 1624471332753,
        "referenceQuestionnaire": None,
        "extraParameters": {"TRANSACTION_CYCLE": "1", "BANK_URL": "https://sandbox.api.payulatam.com/payments-api/pse-caller?enc=..."},
        "additionalInfo": {
            "paymentNetwork": "PSE",
            "rejectionType": "NONE",
            "responseNetworkMessage": None,
            "travelAgencyAuthorizationCode": None,
            "cardType": None,
            "transactionType": "AUTHORIZATION_AND_CAPTURE",
        },
    },
}  # fmt: skip

#: "Voids and Refunds API", refund (the order and the payment are the test's own).
REFUND_REQUEST: dict[str, Any] = {
    "language": "es",
    "command": "SUBMIT_TRANSACTION",
    "merchant": {"apiKey": "4Vj8eK4rloUd272L48hsrarnUA", "apiLogin": "pRRXKOl8ikMmt9u"},
    "transaction": {
        "order": {"id": "1400462687"},
        "type": "REFUND",
        "reason": "Reason for requesting the refund of the transaction",
        "parentTransactionId": "60e2080d-08b1-4db2-a54f-8bcbe8271662",
    },
    "test": False,
}
REFUND_RESPONSE: dict[str, Any] = {
    "code": "SUCCESS",
    "error": None,
    "transactionResponse": {
        "orderId": 1400462690,
        "transactionId": None,
        "state": "PENDING",
        "paymentNetworkResponseCode": None,
        "paymentNetworkResponseErrorMessage": None,
        "trazabilityCode": None,
        "authorizationCode": None,
        "pendingReason": "PENDING_REVIEW",
        "responseCode": None,
        "errorCode": None,
        "responseMessage": "1400462690",
        "transactionDate": None,
        "transactionTime": None,
        "operationDate": None,
        "referenceQuestionnaire": None,
        "extraParameters": None,
        "additionalInfo": None,
    },
}

# -- errors (Active Merchant's payu_latam fixtures) ------------------------------------------
BOGUS_CREDENTIALS_RESPONSE: dict[str, Any] = {
    "code": "ERROR",
    "error": "Invalid credentials",
    "transactionResponse": None,
}
FAILED_REFUND_RESPONSE: dict[str, Any] = {
    "code": "ERROR",
    "error": "property: order.id, message: must not be null property: parentTransactionId, message: must not be null",
    "transactionResponse": None,
}

# -- queries API ---------------------------------------------------------------------------
ORDER_DETAIL_REQUEST: dict[str, Any] = {
    "test": False,
    "language": "en",
    "command": "ORDER_DETAIL",
    "merchant": MERCHANT,
    "details": {"orderId": 1400448094},
}
ORDER_DETAIL_BY_REFERENCE_CODE_REQUEST: dict[str, Any] = {
    "test": False,
    "language": "en",
    "command": "ORDER_DETAIL_BY_REFERENCE_CODE",
    "merchant": MERCHANT,
    "details": {"referenceCode": "PRODUCT_TEST_2021-06-23T19:59:43.229Z"},
}
TRANSACTION_RESPONSE_DETAIL_REQUEST: dict[str, Any] = {
    "test": False,
    "language": "en",
    "command": "TRANSACTION_RESPONSE_DETAIL",
    "merchant": MERCHANT,
    "details": {"transactionId": "3310ba3d-b4ef-4e2f-a3a4-0b0d1b3d9a2f"},
}

#: One order of ORDER_DETAIL (``result.payload``; ORDER_DETAIL_BY_REFERENCE_CODE's ``payload`` is
#: a list of these), after PayU's query example. That example is a card payment; the gateway only
#: does PSE, so ``creditCard`` and ``shippingAddress`` are null and the method is PSE here.
ORDER: dict[str, Any] = {
    "id": 2637540,
    "accountId": 512321,
    "status": "CAPTURED",
    "referenceCode": "testColombia-reports1",
    "description": "Test order Colombia",
    "airlineCode": None,
    "language": "es",
    "notifyUrl": "http://pruebaslap.xtrweb.com/lap/pruebconf.php",
    "shippingAddress": None,
    "buyer": {"merchantBuyerId": None, "fullName": "José Pérez", "emailAddress": "test@payulatam.com",
              "contactPhone": None},
    "transactions": [
        {
            "id": "41bb0d7d-dc98-4eeb-a128-ce5b7366bcfa",
            "order": None,
            "creditCard": None,
            "type": "AUTHORIZATION_AND_CAPTURE",
            "parentTransactionId": None,
            "paymentMethod": "PSE",
            "source": None,
            "paymentCountry": "CO",
            "transactionResponse": {
                "state": "APPROVED",
                "paymentNetworkResponseCode": None,
                "paymentNetworkResponseErrorMessage": None,
                "trazabilityCode": None,
                "authorizationCode": None,
                "pendingReason": None,
                "responseCode": "APPROVED",
                "errorCode": None,
                "responseMessage": None,
                "transactionDate": None,
                "transactionTime": None,
                "operationDate": None,
                "extraParameters": None,
            },
            "deviceSessionId": None,
            "ipAddress": "127.0.0.1",
            "cookie": "cookie_52278879710130",
            "userAgent": "Firefox",
            "expirationDate": None,
            "payer": {"merchantPayerId": None, "fullName": "José Pérez", "billingAddress": None,
                      "emailAddress": "test@payulatam.com", "contactPhone": None, "dniNumber": None},
            "additionalValues": {"TX_VALUE": {"value": 6000, "currency": "COP"}},
            "extraParameters": {"RESPONSE_URL": "http://www.misitioweb.com/respuesta.php"},
        }
    ],
    "additionalValues": {"TX_VALUE": {"value": 6000, "currency": "COP"}, "TX_TAX": {"value": 0, "currency": "COP"}},
}  # fmt: skip
ORDER_DETAIL_RESPONSE: dict[str, Any] = {"code": "SUCCESS", "error": None, "result": {"payload": ORDER}}
ORDER_DETAIL_BY_REFERENCE_CODE_RESPONSE: dict[str, Any] = {
    "code": "SUCCESS",
    "error": None,
    "result": {"payload": [ORDER]},
}
#: TRANSACTION_RESPONSE_DETAIL's ``result.payload`` is a ``transactionResponse`` without the ids:
#: PayU's .NET SDK reads ``result.payload`` as its ``TransactionResponse``. The fields are those of
#: the PSE answer's ``transactionResponse`` above; the values are illustrative.
TRANSACTION_RESPONSE_DETAIL_RESPONSE: dict[str, Any] = {
    "code": "SUCCESS",
    "error": None,
    "result": {
        "payload": {
            "state": "APPROVED",
            "paymentNetworkResponseCode": None,
            "paymentNetworkResponseErrorMessage": None,
            "trazabilityCode": "2204682",
            "authorizationCode": None,
            "pendingReason": None,
            "responseCode": "APPROVED",
            "errorCode": None,
            "responseMessage": None,
            "transactionDate": None,
            "transactionTime": None,
            "operationDate": 1624471332753,
            "referenceQuestionnaire": None,
            "extraParameters": None,
            "additionalInfo": None,
        }
    },
}
QUERY_ERROR_RESPONSE: dict[str, Any] = {"code": "ERROR", "error": "...", "result": None}
