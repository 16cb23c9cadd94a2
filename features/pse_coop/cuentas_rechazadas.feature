# language: es
Característica: Una cuenta que no permite el débito deja elegir otra; si ninguna sirve, el pago se cancela
  Como asociado
  quiero que, si mi cuenta no tiene fondos o supera el tope o la frecuencia, pueda elegir otra
  y que, si ninguna sirve, el pago se cancele y pueda volver al comercio.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @PSE-08
  Escenario: Fondos insuficientes en una cuenta y el pago se aprueba con otra
    Dado que el comercio "10002" pidió a ACH un pago PSE de "900000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****6764"
    Entonces la cuenta "****6764" se rechaza por "insufficient_funds" con el mensaje "no tiene fondos suficientes" y puede elegir otra
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y la cooperativa debitó "900000.00" una sola vez de la cuenta "****7756"
    Y la cooperativa no debitó nada de la cuenta "****6764"

  @PSE-08
  Escenario: El pago supera el tope por transacción de la red para esa cuenta
    Dado que el comercio "10002" pidió a ACH un pago PSE de "3100000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****7756"
    Entonces la cuenta "****7756" se rechaza por "over_transaction_cap" con el mensaje "supera el tope" y puede elegir otra
    Y la cooperativa no debitó nada de la cuenta "****7756"

  @PSE-08
  Escenario: La cuenta ya alcanzó la frecuencia límite del día y el pago se aprueba con otra
    Dado que el comercio "10002" pidió a ACH un pago PSE de "15000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "pedro.suarez@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "80123456" entró por "ALIANZA" al Portal de la Red como "psuarez" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****0003"
    Entonces la cuenta "****0003" se rechaza por "over_frequency" con el mensaje "frecuencia límite" y puede elegir otra
    Cuando el asociado paga con la cuenta "****0001"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio

  @PSE-09 @PSE-08
  Escenario: Ninguna cuenta permite el débito: el pago se cancela y el comercio recibe NOT_AUTHORIZED
    Dado que el comercio "10002" pidió a ACH un pago PSE de "60000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "pedro.suarez@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "80123456" entró por "ALIANZA" al Portal de la Red como "psuarez" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****0001"
    Y el asociado paga con la cuenta "****0002"
    Y el asociado paga con la cuenta "****0003"
    Entonces el pago se cancela porque "Ninguna de sus cuentas permite el débito" y ofrece volver al comercio
    Y ACH informa al comercio el pago en estado "NOT_AUTHORIZED"
    Y la conciliación de los pagos 1066 no muestra diferencias
