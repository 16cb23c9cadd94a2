# language: es
@fallas
Característica: Fallas entre la pasarela y ACH
  Como equipo de TI de una cooperativa que integra una pasarela con PSE
  quiero ver qué pasa cuando el enlace pasarela ↔ ACH se demora, se cae o repite mensajes
  para saber que cada pago termina en un estado definido y que ningún peso se pierde ni se duplica.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @NET-06 @NET-02 @COL-19
  Esquema del escenario: Una falla al crear la transacción en ACH (CreateTransactionPaymentNF)
    Dado que el proxy aplica una vez la falla "<falla>" de "gateway" a "ach" en "POST /psewebapinf/api/CreateTransactionPaymentNF"
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU y el usuario "aprobado" del banco "1022"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la factura "FV-1001" queda "<factura>", el pedido "<pedido>", la transacción de ACH "<ach>" y el banco con neto "<neto>"
    Y ninguna transacción queda pendiente en ACH ni en la pasarela
    Y la conciliación entre banco, ACH, pasarela y comercio no muestra diferencias
    Y ningún mensaje entre participantes incumplió su contrato

    Ejemplos:
      | falla     | factura | pedido   | ach | neto        |
      | error     | open    | DECLINED | -   | 0.00        |
      | reset     | open    | DECLINED | -   | 0.00        |
      | duplicate | paid    | CAPTURED | OK  | -350000.00  |
      | delay     | paid    | CAPTURED | OK  | -350000.00  |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera de la pasarela
      | falla         | factura | pedido   | ach    | neto |
      | drop_request  | open    | DECLINED | -      | 0.00 |
      | drop_response | open    | DECLINED | FAILED | 0.00 |

  @NET-06 @NET-02 @COL-19
  Esquema del escenario: Una falla al consultar el estado en ACH (GetTransactionInformationNF) se resuelve con la reconsulta
    Dado que el proxy aplica una vez la falla "<falla>" de "gateway" a "ach" en "POST /psewebapinf/api/GetTransactionInformationNF"
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU y el usuario "aprobado" del banco "1022"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la factura "FV-1001" queda "paid", el pedido "CAPTURED", la transacción de ACH "OK" y el banco con neto "-350000.00"
    Y ninguna transacción queda pendiente en ACH ni en la pasarela
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
