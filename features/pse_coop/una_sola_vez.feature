# language: es
Característica: El débito se asienta una sola vez y ningún tiempo de espera deja el pago a medias
  Como red cooperativa
  quiero que un doble clic, dos pestañas, el botón atrás o una confirmación reintentada nunca debiten dos veces
  y que una cooperativa o ACH que no responden terminen en un estado conocido.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el comercio "10002" pidió a ACH un pago PSE de "480000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"

  @PSE-12
  Escenario: «Pagar» pulsado dos veces y el código enviado desde dos pestañas debitan una sola vez
    Cuando el asociado pulsa «Pagar» dos veces a la vez con la cuenta "****7756"
    Entonces la cooperativa autorizó un solo débito del pago
    Cuando el asociado ingresa el código de seguridad que recibió desde dos pestañas a la vez
    Y el asociado vuelve atrás y envía otra vez el mismo código
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"

  @PSE-12 @NET-06
  Escenario: La cooperativa no responde el asiento: el switch reintenta con la misma llave y debita una vez
    Dado que la cooperativa pierde la respuesta del próximo asiento de un débito
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda en proceso mientras el switch confirma con la cooperativa
    Y ACH informa al comercio el pago en estado "PENDING"
    Cuando pasan 2 minutos
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y ACH informa al comercio el pago en estado "OK" con autorización del banco
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"
    Y la conciliación de los pagos 1066 no muestra diferencias

  @PSE-11 @NET-06
  Escenario: ACH no acusa la confirmación: el switch la reenvía con el reloj del sandbox hasta que la recibe
    Dado que ACH no responde las próximas 2 confirmaciones de los bancos
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y ACH informa al comercio el pago en estado "PENDING"
    Cuando pasan 60 segundos
    Y pasan 2 minutos
    Entonces ACH informa al comercio el pago en estado "OK" con autorización del banco
    Y la conciliación de los pagos 1066 no muestra diferencias

  @NET-06 @PSE-12
  Escenario: ACH rechaza la confirmación del OK: el switch reversa el débito en la cooperativa y avisa NOT_AUTHORIZED
    Dado que ACH rechaza la próxima confirmación de los bancos con "FAIL_GENERICERROR"
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda reversado y ofrece volver al comercio
    Y la cooperativa no debitó nada de la cuenta "****7756"
    Y ACH informa al comercio el pago en estado "NOT_AUTHORIZED"
    Y la conciliación de los pagos 1066 no muestra diferencias

  @PSE-09 @PSE-11
  Escenario: «Cancelar» avisa a ACH en el acto y el comercio permite otro intento
    Cuando el asociado pulsa «Cancelar»
    Entonces el pago se cancela porque "Usted canceló el pago" y ofrece volver al comercio
    Y ACH informa al comercio el pago en estado "NOT_AUTHORIZED"
    Y el comercio puede pedir a ACH otro pago de la misma factura en el acto
