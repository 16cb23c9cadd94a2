# language: es
Característica: El Portal de la Red y el código de seguridad protegen el pago
  Como red cooperativa
  quiero que la clave del portal se bloquee ante intentos repetidos y que el código de seguridad
  venza, sea de un solo uso y se bloquee, para que nadie pague con la cuenta de otro.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el comercio "10002" pidió a ACH un pago PSE de "480000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral

  @PSE-06
  Escenario: La clave errada se rechaza, luego se hace esperar y al quinto intento el usuario se bloquea
    Cuando el asociado ingresa el documento "CC" "1033370434"
    Y el asociado elige la entidad "ALIANZA"
    Y el asociado entra al Portal de la Red como "nrivera" con la clave "Clave.Mala1"
    Entonces el portal responde "Usuario o clave incorrectos"
    Cuando el asociado entra al Portal de la Red como "nrivera" con la clave "Clave.Mala2"
    Y el asociado entra al Portal de la Red como "nrivera" con la clave "Clave.Mala3"
    Y el asociado entra al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Entonces el portal le pide esperar 30 segundos antes de intentar otra vez
    Cuando pasan 30 segundos
    Y el asociado entra al Portal de la Red como "nrivera" con la clave "Clave.Mala4"
    Y pasan 30 segundos
    Y el asociado entra al Portal de la Red como "nrivera" con la clave "Clave.Mala5"
    Entonces el portal dice que el usuario quedó bloqueado y que se comunique con su cooperativa
    Cuando pasan 10 minutos
    Y el asociado entra al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Entonces el portal dice que el usuario quedó bloqueado y que se comunique con su cooperativa

  @PSE-10 @NET-04
  Escenario: Un código vencido se rechaza y uno nuevo termina el pago
    Dado que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****7756"
    Y pasan 5 minutos
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el portal dice que el código venció
    Cuando el asociado pide un código nuevo
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio

  @PSE-10 @NET-04
  Escenario: Cinco códigos errados bloquean el código, cancelan el pago y liberan la autorización
    Dado que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa 5 veces un código de seguridad errado
    Entonces el pago se cancela porque "El código de seguridad se bloqueó" y ofrece volver al comercio
    Y ACH informa al comercio el pago en estado "NOT_AUTHORIZED"
    Y la cooperativa no debitó nada de la cuenta "****7756"
