# language: es
@fallas
Característica: Fallas entre el banco y ACH
  Como banco que confirma pagos PSE a ACH
  quiero ver qué pasa cuando mi confirmación se pierde, se rechaza o llega dos veces
  para saber que el débito del cliente se aplica una vez o se reversa, nunca queda a medias.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @NET-06 @NET-02 @NET-01 @PSE-12
  Esquema del escenario: Una falla en la confirmación del banco a ACH (ConfirmTransactionPayment)
    Dado que el proxy aplica una vez la falla "<falla>" de "bank" a "ach" en "POST /psebancos/api/ConfirmTransactionPayment"
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU y el usuario "aprobado" del banco "1022"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la factura "FV-1001" queda "<factura>", el pedido "<pedido>", la transacción de ACH "<ach>" y el banco con neto "<neto>"
    Y ninguna transacción queda pendiente en ACH ni en la pasarela
    Y la conciliación entre banco, ACH, pasarela y comercio no muestra diferencias
    Y ningún mensaje entre participantes incumplió su contrato

    Ejemplos:
      | falla     | factura | pedido   | ach    | neto       |
      | error     | open    | DECLINED | FAILED | 0.00       |
      | reset     | open    | DECLINED | FAILED | 0.00       |
      | duplicate | paid    | CAPTURED | OK     | -350000.00 |
      | delay     | paid    | CAPTURED | OK     | -350000.00 |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera del banco
      | falla         | factura | pedido   | ach    | neto       |
      | drop_request  | open    | DECLINED | FAILED | 0.00       |
      | drop_response | paid    | CAPTURED | OK     | -350000.00 |

  @NET-05
  Escenario: La captura del tráfico entre participantes no muestra claves, tokens ni credenciales
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU y el usuario "aprobado" del banco "1022"
    Entonces la factura "FV-1001" queda "paid", el pedido "CAPTURED", la transacción de ACH "OK" y el banco con neto "-350000.00"
    Y la captura del proxy registra los enlaces "gateway→ach, bank→ach, ach→notify, gateway→merchant"
    Y la captura del proxy no contiene ninguna clave ni credencial del mundo
