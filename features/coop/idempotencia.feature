# language: es
@coop
Característica: Exactamente una vez: la Idempotency-Key de cada llamada que mueve dinero
  Como red cooperativa que reintenta cuando no sabe si algo pasó
  quiero que la misma clave repita la primera respuesta
  para no debitar ni abonar dos veces.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que la red llama al core bancario de la entidad "ALIANZA"
    Y el asociado con documento CC "1033370434"
    Y su producto "****7756"

  @COOP-06
  Escenario: La misma clave con el mismo cuerpo repite la primera respuesta, marcada como repetida
    Cuando la red autoriza un débito de "30000.00" con la referencia "IDEM-1" y la clave "idem-1"
    Y la red repite la misma solicitud
    Entonces la respuesta es la primera, marcada como repetida
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2470000.00"

  @COOP-06
  Escenario: Un rechazo también se repite igual
    Dado el asociado con documento CC "80123456"
    Y su producto "****0001"
    Cuando la red autoriza un débito de "30000.00" con la referencia "IDEM-2" y la clave "idem-2"
    Y la red repite la misma solicitud
    Entonces la respuesta es la primera, marcada como repetida
    Y la respuesta es 422 con el código "insufficient_funds"

  @COOP-06
  Escenario: La misma clave con otro cuerpo se rechaza nombrando la clave
    Cuando la red autoriza un débito de "30000.00" con la referencia "IDEM-3" y la clave "idem-3"
    Y la red usa otra vez la clave "idem-3" para un débito de "40000.00"
    Entonces la respuesta es 422 con el código "idempotency_key_reused" y nombra el campo "Idempotency-Key"
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2470000.00"

  @COOP-06
  Escenario: Sin clave no se mueve dinero
    Cuando la red autoriza un débito de "30000.00" sin clave de idempotencia
    Entonces la respuesta es 400 con el código "idempotency_key_missing" y nombra el campo "Idempotency-Key"
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2500000.00"

  @COOP-06 @solo_sandbox
  Escenario: Mientras la primera llamada sigue en curso, un reintento con su clave se rechaza
    Dado que el core demora 3 segundos la respuesta de cada débito
    Cuando la red autoriza un débito de "30000.00" con la clave "idem-4" y, mientras espera, lo reintenta
    Entonces el reintento recibe 409 con el código "idempotency_key_in_flight"
    Y la respuesta es 201
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2470000.00"
