# language: es
@conformidad
Característica: Abonos y reversas (contrato coop v1)
  Un recaudo abona a productos de la cooperativa dentro de sus reglas de valor; un movimiento
  aplicado se puede reversar una sola vez.

  Antecedentes:
    Dado el núcleo de la cooperativa bajo prueba
    Y el asociado con documento "CC" "1033370434"

  @COOP-04
  Escenario: Un abono suma el valor exacto y se aplica una vez
    Dado su producto terminado en "8768"
    Cuando abono "25000.75" con la opción "free" y una clave nueva
    Entonces la respuesta es 201 con estado "applied"
    Y el valor de la respuesta es exactamente "25000.75"
    Cuando repito la misma solicitud con la misma clave
    Entonces la segunda respuesta es la primera, marcada como repetición
    Y el saldo del producto subió exactamente "25000.75"

  @COOP-04
  Escenario: El pago mínimo debe ser exactamente el mínimo
    Dado su producto terminado en "7626"
    Cuando abono "1900.00" con la opción "minimum" y una clave nueva
    Entonces la respuesta es un error 422 "amount_not_allowed"
    Y el saldo del producto subió exactamente "0.00"

  @COOP-04
  Escenario: Un valor menor que el mínimo permitido se rechaza
    Dado su producto terminado en "8768"
    Cuando abono "500.00" con la opción "other" y una clave nueva
    Entonces la respuesta es un error 422 "amount_below_minimum"

  @COOP-05
  Escenario: Un abono aplicado se reversa una vez y el saldo vuelve a ser el de antes
    Dado su producto terminado en "8768"
    Cuando abono "40000.00" con la opción "free" y una clave nueva
    Y reverso el movimiento
    Entonces la respuesta es 201
    Y la reversa tiene su propio id
    Y el saldo del producto subió exactamente "0.00"
    Cuando reverso el movimiento otra vez con una clave nueva
    Entonces la respuesta es un error 409 "already_reversed"
