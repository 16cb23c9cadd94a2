# language: es
@fallas @nucleo
Característica: Fallas entre el switch y el núcleo de la cooperativa en un pago PSE (banco 1066)
  Como equipo de TI de una cooperativa
  quiero ver qué pasa cuando el asiento de un débito se pierde, llega dos veces o llega tarde
  para saber que mi núcleo debita una sola vez y que el switch siempre conoce el resultado.
  Las fallas las pone el proxy entre el switch y el núcleo: estos escenarios corren igual contra el
  núcleo simulado y, con `coop-sandbox conformance coop`, contra el núcleo de quien prueba.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el comercio "10002" pidió a ACH un pago PSE de "480000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"

  @PSE-12 @COOP-08 @NET-06
  Escenario: Se pierde la respuesta del núcleo al asentar el débito: el switch reintenta y debita una vez
    Dado que el proxy aplica una vez la falla "drop_response" de "switch" a "coop" en "POST /coop/v1/entities/*/debits/*/post"
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda en proceso mientras el switch confirma con la cooperativa
    Cuando pasan 2 minutos
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y el proxy aplicó la falla una vez
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"

  @PSE-12 @COOP-06 @COOP-08
  Escenario: El núcleo recibe dos veces el asiento del débito y lo aplica una sola vez
    Dado que el proxy aplica una vez la falla "duplicate" de "switch" a "coop" en "POST /coop/v1/entities/*/debits/*/post"
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y el proxy aplicó la falla una vez
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"

  @PSE-12 @COOP-03 @COOP-08
  Escenario: La autorización del débito llega tarde al núcleo, dentro del tiempo de espera: se debita una vez
    Dado que el proxy aplica una vez la falla "delay" de "switch" a "coop" en "POST /coop/v1/entities/*/debits"
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y el proxy aplicó la falla una vez
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"
