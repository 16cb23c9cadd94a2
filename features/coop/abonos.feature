# language: es
@coop
Característica: Abonos: pagos a créditos y depósitos a ahorros, con las reglas de valor del producto
  Como red cooperativa que recauda para las cooperativas
  quiero abonar lo que el asociado pagó a su producto
  para que quede aplicado una vez y dentro de lo que el producto acepta.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que la red llama al core bancario de la entidad "ALIANZA"
    Y el asociado con documento CC "1033370434"

  @COOP-04
  Escenario: El pago mínimo de un cupo de crédito baja lo que se debe y libera cupo
    Dado su producto "****7626"
    Cuando la red abona "1800.00" con la opción "minimum", la referencia "REC-1" y la clave "rec-1"
    Entonces la respuesta es 201
    Y el saldo tras la operación es "1498200.00"
    Y el producto "****7626" tiene saldo "1498200.00" y disponible "3001800.00"
    Y la transacción queda "applied"

  @COOP-04
  Escenario: Un depósito a un ahorro sube el saldo
    Dado su producto "****7756"
    Cuando la red abona "200000.00" con la opción "free", la referencia "REC-2" y la clave "rec-2"
    Entonces la respuesta es 201
    Y el producto "****7756" tiene saldo "2700000.00" y disponible "2700000.00"

  @COOP-04 @COOP-07
  Esquema del escenario: Un valor que no cumple las reglas del producto se rechaza con su código
    Dado su producto "****7626"
    Cuando la red abona "<valor>" con la opción "<opción>", la referencia "REC-3" y la clave "rec-3"
    Entonces la respuesta es 422 con el código "<código>"
    Y el producto "****7626" tiene saldo "1500000.00" y disponible "3000000.00"

    Ejemplos:
      | valor      | opción  | código               |
      | 1800.01    | minimum | amount_not_allowed   |
      | 1400000.00 | total   | amount_not_allowed   |
      | 999.99     | other   | amount_below_minimum |
      | 1500000.01 | other   | amount_above_maximum |
      | 5000.00    | free    | amount_not_allowed   |

  @COOP-04 @COOP-07
  Escenario: Un producto cerrado no recibe abonos
    Dado el asociado con documento CC "52987654"
    Y su producto "****9902"
    Cuando la red abona "1000.00" con la opción "other", la referencia "REC-4" y la clave "rec-4"
    Entonces la respuesta es 422 con el código "product_inactive"

  @COOP-07
  Escenario: Una entidad sin convenio de recaudo rechaza los abonos
    Dado que la red llama al core bancario de la entidad "SINCONVENIO"
    Y el asociado con documento CC "1098765432"
    Y su producto "****0001"
    Cuando la red abona "1000.00" con la opción "free", la referencia "REC-5" y la clave "rec-5"
    Entonces la respuesta es 403 con el código "service_disabled"
