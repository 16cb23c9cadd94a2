# language: es
@conformidad @proxy
Característica: Respuestas perdidas, entregas duplicadas y respuestas lentas (contrato coop v1)
  El proxy del sandbox rompe el enlace entre la red y el núcleo. Quien no recibió respuesta
  reintenta con la misma clave o consulta; nada se aplica dos veces.

  Antecedentes:
    Dado el núcleo de la cooperativa bajo prueba
    Y el asociado con documento "CC" "1033370434"

  @COOP-08
  Escenario: Se pierde la respuesta de aplicar un débito; reintentar con la misma clave da la primera
    Dado su producto terminado en "6764"
    Cuando autorizo un débito de "45000.00" con una clave nueva
    Y el proxy pierde la próxima respuesta de "POST /coop/v1/entities/*/debits/*/post"
    Y aplico el débito a través del proxy esperando 1 segundo
    Entonces no llegó respuesta
    Cuando repito la misma solicitud con la misma clave
    Entonces la respuesta es 200 con estado "posted"
    Y el saldo del producto bajó exactamente "45000.00"

  @COOP-08
  Escenario: Un abono entregado dos veces se aplica una sola vez
    Dado su producto terminado en "8768"
    Y el proxy entrega dos veces la próxima solicitud "POST /coop/v1/entities/*/credits"
    Cuando abono a través del proxy "33000.00" con la opción "free" y una clave nueva
    Entonces la respuesta es 201 con estado "applied"
    Y el proxy entregó la copia
    Y el saldo del producto subió exactamente "33000.00"
    Y la referencia del abono tiene un solo movimiento

  @COOP-08
  Escenario: Una solicitud que llega lenta, dentro del tiempo de espera, se aplica una sola vez
    Dado su producto terminado en "6764"
    Y que el proxy demora 1.5 segundos la próxima solicitud "POST /coop/v1/entities/*/debits"
    Cuando autorizo a través del proxy un débito de "21000.00" con una clave nueva
    Entonces la respuesta es 201 con estado "authorized"
    Y el proxy demoró la solicitud
    Y la referencia del débito tiene un solo movimiento
    Y el disponible del producto bajó exactamente "21000.00"
