# language: es
@coop
Característica: Reversos de débitos aplicados y abonos
  Como red cooperativa
  quiero deshacer un movimiento que no debía quedar
  para que el saldo vuelva a ser el de antes, con un reverso que se pueda rastrear.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que la red llama al core bancario de la entidad "ALIANZA"
    Y el asociado con documento CC "1033370434"
    Y su producto "****7756"

  @COOP-05
  Escenario: Un abono reversado devuelve el saldo y el reverso tiene su propio id
    Dado un abono aplicado de "200000.00" con la referencia "REV-1"
    Cuando la red reversa la transacción con el motivo "pago no confirmado" y la clave "rev-1"
    Entonces la respuesta es 201
    Y el reverso tiene su propio id y el saldo vuelve a "2500000.00"
    Y la transacción queda "reversed"
    Cuando la red repite la misma solicitud
    Entonces la respuesta es la primera, marcada como repetida
    Cuando la red reversa la transacción con el motivo "otra vez" y la clave "rev-2"
    Entonces la respuesta es 409 con el código "already_reversed"
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2500000.00"

  @COOP-05
  Escenario: Un débito aplicado reversado devuelve el dinero
    Dado un débito autorizado de "50000.00" con la referencia "REV-2"
    Y el débito aplicado con la clave "post-rev"
    Cuando la red reversa la transacción con el motivo "el comercio anuló" y la clave "rev-3"
    Entonces la respuesta es 201
    Y el reverso tiene su propio id y el saldo vuelve a "2500000.00"

  @COOP-05
  Escenario: Un débito solo autorizado no se reversa: se anula
    Dado un débito autorizado de "50000.00" con la referencia "REV-3"
    Cuando la red reversa la transacción "NOEXISTE" con la clave "rev-4"
    Entonces la respuesta es 404 con el código "transaction_not_found"
    Cuando la red consulta la transacción
    Entonces la respuesta es 200
    Y el débito queda "authorized"

  @COOP-05
  Escenario: El informe del día suma los abonos, los débitos aplicados y los reversos
    Dado un abono aplicado de "200000.00" con la referencia "DIA-1"
    Y un débito autorizado de "50000.00" con la referencia "DIA-2"
    Y el débito aplicado con la clave "post-dia"
    Cuando la red reversa la transacción con el motivo "prueba" y la clave "rev-dia"
    Y la red pide las transacciones del día "2026-01-15"
    Entonces el informe del día suma abonos "200000.00", débitos "50000.00" y reversos "50000.00"
