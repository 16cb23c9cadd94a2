# language: es
@coop
Característica: Débitos PSE: autorizar, aplicar o anular, una sola vez
  Como red cooperativa que atiende pagos PSE de los asociados
  quiero reservar el dinero de la cuenta, y después debitarlo o liberarlo
  para que el asociado pague exactamente una vez.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que la red llama al core bancario de la entidad "ALIANZA"
    Y el asociado con documento CC "1033370434"
    Y su producto "****7756"

  @COOP-03
  Escenario: Un débito autorizado reserva el dinero y al aplicarlo sale una sola vez
    Cuando la red autoriza un débito de "50000.00" con la referencia "PSE-1" y la clave "auth-1"
    Entonces la respuesta es 201
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2450000.00"
    Cuando la red aplica el débito con la clave "post-1"
    Entonces la respuesta es 200
    Y el saldo tras la operación es "2450000.00"
    Y el débito queda "posted"
    Cuando la red aplica el débito con la clave "post-2"
    Entonces la respuesta es 409 con el código "already_posted"
    Y el producto "****7756" tiene saldo "2450000.00" y disponible "2450000.00"

  @COOP-03
  Escenario: Un débito anulado libera la reserva y ya no se puede aplicar
    Dado un débito autorizado de "100000.00" con la referencia "PSE-2"
    Cuando la red anula el débito con la clave "void-1"
    Entonces la respuesta es 200
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2500000.00"
    Cuando la red aplica el débito con la clave "post-tarde"
    Entonces la respuesta es 409 con el código "already_voided"

  @COOP-03 @solo_sandbox
  Escenario: Un débito que nadie aplica ni anula vence a los 15 minutos y el dinero vuelve
    Dado un débito autorizado de "100000.00" con la referencia "PSE-3"
    Cuando pasan 15 minutos
    Entonces el débito queda "expired"
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2500000.00"
    Cuando la red aplica el débito con la clave "post-vencido"
    Entonces la respuesta es 409 con el código "hold_expired"

  @COOP-03
  Escenario: Un débito sobre un cupo de crédito usa el cupo disponible
    Dado su producto "****7626"
    Cuando la red autoriza un débito de "100000.00" con la referencia "PSE-4" y la clave "auth-cupo"
    Y la red aplica el débito con la clave "post-cupo"
    Entonces el saldo tras la operación es "1600000.00"
    Y el producto "****7626" tiene saldo "1600000.00" y disponible "2900000.00"

  @COOP-07
  Esquema del escenario: Cada rechazo de un débito tiene su propio código
    Dado el asociado con documento CC "<documento>"
    Y su producto "<producto>"
    Cuando la red autoriza un débito de "<monto>" con la referencia "RECH-1" y la clave "rech-1"
    Entonces la respuesta es <estado> con el código "<código>"

    Ejemplos:
      | documento  | producto | monto    | estado | código                |
      | 80123456   | ****0001 | 20000.01 | 422    | insufficient_funds    |
      | 80123456   | ****0002 | 50000.01 | 422    | over_cap              |
      | 80123456   | ****0003 | 1.00     | 422    | over_cap              |
      | 52987654   | ****9901 | 1.00     | 422    | product_inactive      |
      | 1033370434 | ****8768 | 1000.00  | 422    | product_not_debitable |

  @COOP-07
  Escenario: Una entidad sin el servicio rechaza los débitos
    Dado que la red llama al core bancario de la entidad "SINCONVENIO"
    Y el asociado con documento CC "1098765432"
    Y su producto "****0001"
    Cuando la red autoriza un débito de "1000.00" con la referencia "SIN-1" y la clave "sin-1"
    Entonces la respuesta es 403 con el código "service_disabled"

  @COOP-07
  Escenario: Un producto de otra entidad no existe en esta
    Dado que la red usa el id de producto "P0000000000000000000000"
    Cuando la red autoriza un débito de "1000.00" con la referencia "OTRA-1" y la clave "otra-1"
    Entonces la respuesta es 404 con el código "product_not_found" y nombra el campo "product_id"
