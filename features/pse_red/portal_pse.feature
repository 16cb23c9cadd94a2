# language: es
Característica: El portal de PSE: registro con correo e «Ir al Banco»
  Como pagador que paga con PSE
  quiero entrar a PSE con mi correo registrado, o registrarme si aún no lo estoy,
  para llegar a la página de mi banco y pagar.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el comercio "10002" pidió a ACH un pago PSE de "150000.00" con el banco "1022"

  @PSE-01 @COL-17
  Escenario: Un correo no registrado en PSE recibe la oferta de registrarse y, ya registrado, continúa al banco
    Cuando el pagador abre el enlace de PSE del pago
    Y escribe en PSE el correo "ana.perez@example.com" como persona natural y pulsa «Ir al Banco»
    Entonces PSE le dice que el correo "ana.perez@example.com" no está registrado y le ofrece «Quiero registrarme ahora»
    Cuando se registra en PSE como persona natural "ANA MARÍA PÉREZ" con cédula "1011121314" y el correo "ana.perez@example.com"
    Entonces PSE vuelve al pago con el registro exitoso
    Cuando escribe en PSE el correo "ana.perez@example.com" como persona natural y pulsa «Ir al Banco»
    Entonces el pagador llega a la página del banco "BANCO UNION COLOMBIANO" con el CUS del pago

  @PSE-01
  Escenario: Un registro en PSE con datos inconsistentes se rechaza nombrando el campo
    Cuando el pagador abre el enlace de PSE del pago
    Y se registra en PSE como persona jurídica "EMPRESA SIN NIT" con cédula "1011121314" y el correo "empresa@example.com"
    Entonces PSE rechaza el registro señalando el campo "document_type"
    Y el correo "empresa@example.com" sigue sin registro en PSE

  @PSE-03 @COL-17
  Escenario: Con el correo registrado, «Ir al Banco» lleva a la página del banco, que no se puede enmarcar
    Cuando el pagador abre el enlace de PSE del pago
    Entonces PSE muestra el pago de "$150.000,00" a "FERRETERIA EL TORNILLO SAS" con el banco "BANCO UNION COLOMBIANO"
    Cuando escribe en PSE el correo "camila.torres@example.com" como persona natural y pulsa «Ir al Banco»
    Entonces el pagador llega a la página del banco "BANCO UNION COLOMBIANO" con el CUS del pago
    Y la página del banco responde con X-Frame-Options "DENY"

  @PSE-03
  Escenario: Con el banco 1066, «Ir al Banco» lleva a la ventana de Coopcentral en el switch con el CUS
    Dado que el comercio "10002" pidió a ACH un pago PSE de "80000.00" con el banco "1066"
    Cuando el pagador abre el enlace de PSE del pago
    Y escribe en PSE el correo "nick.rivera@example.com" como persona natural y pulsa «Ir al Banco» sin seguir la redirección
    Entonces PSE lo redirige a la ventana de Coopcentral del switch con el CUS del pago

  @COL-17
  Escenario: El tipo de persona debe ser el del registro en PSE
    Cuando el pagador abre el enlace de PSE del pago
    Y escribe en PSE el correo "tesoreria@empresa.example.com" como persona natural y pulsa «Ir al Banco»
    Entonces PSE le dice que el correo está registrado como persona jurídica
