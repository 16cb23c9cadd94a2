# language: es
@fallas
Característica: Fallas en la confirmación de la pasarela al comercio
  Como comercio que recibe confirmaciones de PayU
  quiero que una confirmación perdida, rechazada o repetida termine igual: la factura pagada una vez
  para no cobrar dos veces ni dejar un pago aprobado sin aplicar.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @GW-04 @NET-06 @NET-02
  Esquema del escenario: Una falla en la confirmación (página de confirmación del comercio)
    Dado que el proxy aplica una vez la falla "<falla>" de "gateway" a "merchant" en "POST /payu/confirmacion"
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU y el usuario "aprobado" del banco "1022"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la factura "FV-1001" queda "paid", el pedido "CAPTURED", la transacción de ACH "OK" y el banco con neto "-350000.00"
    Y el comercio registró un solo pago aprobado de la factura "FV-1001"
    Y la conciliación entre banco, ACH, pasarela y comercio no muestra diferencias

    Ejemplos:
      | falla     |
      | error     |
      | reset     |
      | duplicate |
      | delay     |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera de la pasarela
      | falla         |
      | drop_request  |
      | drop_response |
