# language: es
Característica: Pagar a un comercio por PSE con una cuenta de la cooperativa (Banco Cooperativo Coopcentral, 1066)
  Como asociado de una cooperativa de la red
  quiero pagar en un comercio por PSE eligiendo Banco Cooperativo Coopcentral
  para que el pago se debite de mi cuenta o cupo rotativo en la cooperativa.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el comercio "10002" pidió a ACH un pago PSE de "480000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral

  @PSE-04 @PSE-05 @PSE-06 @PSE-07 @PSE-10 @PSE-11
  Escenario: Documento, entidad, portal, cuenta y código de seguridad: el pago se aprueba y ACH recibe OK
    Entonces la ventana de Coopcentral pide el tipo y el número de documento con el pago de "$480.000,00"
    Cuando el asociado ingresa el documento "CC" "1.033.370.434"
    Entonces la ventana lista las entidades "Cooperativa Alianza, Cooperativa Olohzo"
    Cuando el asociado elige la entidad "ALIANZA"
    Entonces el Portal de la Red le pide primero el usuario y después la clave
    Cuando el asociado entra al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Entonces ve el resumen del pago de "$480.000,00" a "FERRETERIA EL TORNILLO SAS" y las cuentas "****7756, ****6764, ****7626"
    Cuando el asociado paga con la cuenta "****7756"
    Entonces se le pide el código de seguridad enviado a su correo y a su celular
    Cuando el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y ACH informa al comercio el pago en estado "OK" con autorización del banco
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"
    Y la conciliación de los pagos 1066 no muestra diferencias

  @PSE-05
  Escenario: Un documento sin productos activos no lista entidades; deja corregirlo o cancelar y volver al comercio
    Cuando el asociado ingresa el documento "CC" "52987654"
    Entonces la ventana dice que el documento no tiene productos activos en la red y deja corregirlo o cancelar y volver al comercio

  @PSE-04
  Escenario: Un número de documento mal escrito se rechaza nombrando el campo
    Cuando el asociado ingresa el documento "CC" "12ab"
    Entonces la ventana rechaza el documento señalando el campo "numero_documento"
