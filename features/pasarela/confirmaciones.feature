# language: es
Característica: El comercio conoce el resultado de cada pago, una sola vez
  Como comercio que cobra con PayU
  quiero recibir confirmaciones firmadas de cada estado final, y que mis clientes vean el resultado
  para marcar cada factura pagada exactamente una vez.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @GW-03
  Escenario: Tras pagar, el cliente vuelve al portal, ve el estado y el resumen y recibe una copia por correo
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU en el banco "1022"
    Y el banco "1022" aprueba el pago en PSE
    Y el cliente vuelve de PSE a la pasarela y pulsa «Regresar al comercio»
    Entonces el portal del comercio muestra el pago "APPROVED" y la factura "paid"
    Y el correo "alejandro.gonzalez@example.com" recibe del comercio "Pago de la factura FV-1001: Aprobado"

  @GW-04
  Escenario: La confirmación se reintenta hasta que el comercio acusa recibo, y repetirla no paga dos veces
    Dado que la página de confirmación del comercio falla 3 veces
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU en el banco "1022"
    Y el banco "1022" aprueba el pago en PSE
    Y el cliente vuelve de PSE a la pasarela y cierra el navegador
    Entonces la pasarela lleva 1 intento de confirmación y la factura "FV-1001" está "open"
    Cuando pasan 3 minutos
    Entonces la pasarela lleva 3 intentos de confirmación y la factura "FV-1001" está "open"
    Cuando pasan 5 minutos
    Entonces la pasarela lleva 4 intentos de confirmación y la factura "FV-1001" está "paid"
    Y la confirmación está firmada con la llave del comercio
    Cuando la misma confirmación llega otra vez al comercio
    Entonces el comercio responde 200 sin efectos y la factura "FV-1001" quedó pagada una sola vez

  @GW-04
  Escenario: Una confirmación con firma errada se rechaza
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU en el banco "1022"
    Y el banco "1022" aprueba el pago en PSE
    Y el cliente vuelve de PSE a la pasarela y cierra el navegador
    Y llega al comercio una confirmación alterada con "state_pol" igual a "6"
    Entonces el comercio responde 400 con el código "invalid_signature"
    Y la factura "FV-1001" está "paid"
