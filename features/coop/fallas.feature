# language: es
@coop @solo_sandbox
Característica: Cuando el core falla, tarda o pierde la respuesta, la red sabe qué pasó
  Como red cooperativa
  quiero conocer el resultado real de una llamada que no contestó bien
  para no aplicar nada dos veces ni dejar nada a medias.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que la red llama al core bancario de la entidad "ALIANZA"
    Y el asociado con documento CC "1033370434"
    Y su producto "****7756"

  @COOP-08
  Escenario: Un error del core (monto terminado en .91) no aplica nada y la clave queda libre
    Cuando la red autoriza un débito de "1000.91" con la referencia "FALLA-1" y la clave "falla-1"
    Entonces la respuesta es 500 con el código "core_error"
    Y el producto "****7756" tiene saldo "2500000.00" y disponible "2500000.00"
    Cuando la red consulta las transacciones de la referencia "FALLA-1"
    Entonces hay 0 transacciones "authorized" con esa referencia

  @COOP-08
  Escenario: Un abono que contesta tarde (.92) quedó aplicado: la consulta lo dice y el reintento espera
    Cuando la red abona "1000.92" con la opción "free", la referencia "TARDE-1" y la clave "tarde-1" esperando a lo sumo 1 segundo
    Entonces la red no recibe respuesta a tiempo
    Cuando la red consulta las transacciones de la referencia "TARDE-1"
    Entonces hay 1 transacción "applied" con esa referencia
    Cuando la red repite la misma solicitud
    Entonces la respuesta es 409 con el código "idempotency_key_in_flight"

  @COOP-08
  Escenario: Un abono cuya respuesta se pierde (.93) quedó aplicado: el reintento recibe la respuesta guardada
    Cuando la red abona "1000.93" con la opción "free", la referencia "CORTE-1" y la clave "corte-1" esperando a lo sumo 10 segundo
    Entonces la conexión se corta sin respuesta
    Cuando la red consulta las transacciones de la referencia "CORTE-1"
    Entonces hay 1 transacción "applied" con esa referencia
    Cuando la red repite la misma solicitud
    Entonces la respuesta es 201
    Y viene marcada como repetida
    Y el saldo tras la operación es "2501000.93"
    Y el producto "****7756" tiene saldo "2501000.93" y disponible "2501000.93"

  @COOP-07
  Escenario: Una regla de comportamiento rechaza los débitos con el código que se le pida
    Dado que el core rechaza cada débito con "over_cap"
    Cuando la red autoriza un débito de "1000.00" con la referencia "REGLA-1" y la clave "regla-1"
    Entonces la respuesta es 422 con el código "over_cap"
