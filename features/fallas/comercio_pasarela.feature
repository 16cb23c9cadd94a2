# language: es
@fallas
Característica: Fallas entre el comercio y la pasarela al reembolsar
  Como comercio que reembolsa pagos desde su administración
  quiero que un reembolso cuyo mensaje a la pasarela se pierde, falla o se repite se aplique una sola vez
  para devolver el dinero exactamente una vez y saber siempre en qué quedó.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el cliente con documento "79555111" pagó la factura "FV-1001" con PayU y el usuario "aprobado" del banco "1022"

  @GW-05 @NET-01 @NET-06
  Esquema del escenario: Una falla en la solicitud de reembolso del comercio a la pasarela
    Dado que el proxy aplica una vez la falla "<falla>" de "merchant" a "gateway" en "POST /payments-api/4.0/service.cgi"
    Cuando el comercio pide el reembolso del pago "P-000001" desde su administración hasta que se confirme
    Y pasan 10 minutos
    Entonces el proxy aplicó la falla una vez
    Y la orden queda "REFUNDED" con un solo reembolso, el saldo de la cuenta "512321" en "0.00" y la factura "FV-1001" "open"

    Ejemplos:
      | falla     |
      | error     |
      | reset     |
      | duplicate |
      | delay     |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera del comercio
      | falla         |
      | drop_request  |
      | drop_response |

  # Cuando la conexión con la pasarela se cae o no responde a tiempo, el comercio consulta el
  # pedido en la pasarela antes de responder (NET-06): si el reembolso se aplicó lo registra una
  # vez; si no, responde un error definido y el administrador reintenta.
  @GW-05 @NET-03 @NET-06
  Esquema del escenario: La administración del comercio responde un error definido cuando la pasarela falla
    Dado que el proxy aplica una vez la falla "<falla>" de "merchant" a "gateway" en "POST /payments-api/4.0/service.cgi"
    Cuando el comercio pide el reembolso del pago "P-000001" desde su administración hasta que se confirme
    Entonces la administración del comercio nunca respondió con un error interno

    Ejemplos:
      | falla     |
      | error     |
      | duplicate |
      | delay     |

    Ejemplos: La conexión se cae
      | falla |
      | reset |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera del comercio
      | falla         |
      | drop_request  |
      | drop_response |
