# language: es
@conformidad
Característica: Débitos: retener, aplicar o anular, una sola vez (contrato coop v1)
  Un pago PSE debita una cuenta de la cooperativa en dos pasos: el núcleo retiene el valor exacto y
  luego lo aplica o lo anula. Cada llamada lleva una Idempotency-Key.

  Antecedentes:
    Dado el núcleo de la cooperativa bajo prueba
    Y el asociado con documento "CC" "1033370434"
    Y su producto terminado en "7756"

  @COOP-03
  Escenario: Un débito retiene el valor exacto y se aplica una vez
    Cuando autorizo un débito de "50000.55" con una clave nueva
    Entonces la respuesta es 201 con estado "authorized"
    Y el valor de la respuesta es exactamente "50000.55"
    Y el disponible del producto bajó exactamente "50000.55"
    Cuando aplico el débito
    Entonces la respuesta es 200 con estado "posted"
    Y el saldo del producto bajó exactamente "50000.55"

  @COOP-03
  Escenario: Un débito anulado devuelve el disponible y ya no se puede aplicar
    Cuando autorizo un débito de "120000.00" con una clave nueva
    Entonces la respuesta es 201 con estado "authorized"
    Cuando anulo el débito
    Entonces la respuesta es 200 con estado "voided"
    Y el disponible del producto bajó exactamente "0.00"
    Cuando aplico el débito
    Entonces la respuesta es un error 409 "already_voided"

  @COOP-03
  Escenario: Aplicar otra vez un débito aplicado, con otra clave, se rechaza
    Cuando autorizo un débito de "10000.00" con una clave nueva
    Y aplico el débito
    Y aplico el débito otra vez con una clave nueva
    Entonces la respuesta es un error 409 "already_posted"
    Y el saldo del producto bajó exactamente "10000.00"

  @COOP-06
  Escenario: Repetir la solicitud con la misma clave devuelve la primera respuesta
    Cuando autorizo un débito de "30000.00" con una clave nueva
    Y repito la misma solicitud con la misma clave
    Entonces la segunda respuesta es la primera, marcada como repetición
    Y el disponible del producto bajó exactamente "30000.00"

  @COOP-06
  Escenario: La misma clave con otro cuerpo se rechaza
    Cuando autorizo un débito de "30000.00" con una clave nueva
    Y autorizo un débito de "31000.00" con la misma clave
    Entonces la respuesta es un error 422 que nombra el campo "Idempotency-Key"
    Y el disponible del producto bajó exactamente "30000.00"

  @COOP-06
  Escenario: Sin Idempotency-Key no se mueve dinero
    Cuando autorizo un débito de "30000.00" sin Idempotency-Key
    Entonces la respuesta es un error 400 "idempotency_key_missing"
    Y el disponible del producto bajó exactamente "0.00"

  @COOP-07
  Escenario: Un valor mal escrito se rechaza nombrando el campo
    Cuando autorizo un débito de "50000.555" con una clave nueva
    Entonces la respuesta es un error 422 que nombra el campo "amount"
    Y el disponible del producto bajó exactamente "0.00"
