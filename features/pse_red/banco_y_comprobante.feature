# language: es
Característica: En el banco: resumen, pago y comprobante que PSE envía por correo
  Como pagador que llegó a su banco desde PSE
  quiero ver el resumen, pagar con mi cuenta y quedarme con un comprobante
  para tener constancia del pago y que el comercio lo reciba.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el comercio "10002" pidió a ACH un pago PSE de "150000.00" con el banco "1022"

  @COL-18
  Escenario: Se ve el resumen, se paga, queda un comprobante imprimible y PSE lo envía por correo
    Cuando el pagador pasa por PSE con el correo "camila.torres@example.com" y entra al banco como "aprobado" con la clave "Banco.1234"
    Entonces el banco muestra el resumen del pago de "$150.000,00" a "FERRETERIA EL TORNILLO SAS" con sus cuentas enmascaradas
    Cuando el pagador pulsa «Pagar» con su cuenta número 1
    Entonces el banco muestra un comprobante imprimible con el CUS, "$150.000,00", "FERRETERIA EL TORNILLO SAS", la fecha y el estado "Aprobada"
    Y el comprobante ofrece «Regresar al comercio» hacia la URL de retorno del comercio
    Y ACH informa al comercio el pago en estado "OK" con autorización del banco
    Y el buzón de "camila.torres@example.com" tiene el comprobante de PSE del pago con el estado "Aprobada"
    Y la cuenta "****0011" del banco quedó con "$9.850.000,00"

  @COL-18
  Escenario: Sin fondos el banco rechaza, no debita nada y PSE envía el comprobante del rechazo
    Cuando el pagador pasa por PSE con el correo "camila.torres@example.com" y entra al banco como "sinfondos" con la clave "Banco.1234"
    Y el pagador pulsa «Pagar» con su cuenta número 1
    Entonces el banco muestra un comprobante imprimible con el CUS, "$150.000,00", "FERRETERIA EL TORNILLO SAS", la fecha y el estado "Rechazada"
    Y ACH informa al comercio el pago en estado "NOT_AUTHORIZED"
    Y el buzón de "camila.torres@example.com" tiene el comprobante de PSE del pago con el estado "Rechazada"
    Y la cuenta "****0021" del banco quedó con "$10.000,00"

  @COL-18
  Escenario: Un banco que deja el pago en proceso lo aprueba después, y solo entonces PSE envía el comprobante
    Cuando el pagador pasa por PSE con el correo "camila.torres@example.com" y entra al banco como "pendiente" con la clave "Banco.1234"
    Y el pagador pulsa «Pagar» con su cuenta número 1
    Entonces el banco muestra un comprobante imprimible con el CUS, "$150.000,00", "FERRETERIA EL TORNILLO SAS", la fecha y el estado "En proceso"
    Y ACH informa al comercio el pago en estado "PENDING"
    Y el buzón de "camila.torres@example.com" no tiene comprobantes de PSE
    Cuando pasan 10 minutos
    Entonces ACH informa al comercio el pago en estado "OK" con autorización del banco
    Y el buzón de "camila.torres@example.com" tiene el comprobante de PSE del pago con el estado "Aprobada"

  @COL-18
  Escenario: Si el banco falla después de dejarlo en proceso, devuelve el dinero y PSE informa la falla
    Cuando el pagador pasa por PSE con el correo "camila.torres@example.com" y entra al banco como "pendientefalla" con la clave "Banco.1234"
    Y el pagador pulsa «Pagar» con su cuenta número 1
    Y pasan 10 minutos
    Entonces ACH informa al comercio el pago en estado "FAILED"
    Y el buzón de "camila.torres@example.com" tiene el comprobante de PSE del pago con el estado "Fallida"
    Y la cuenta "****0041" del banco quedó con "$10.000.000,00"
