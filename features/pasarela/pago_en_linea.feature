# language: es
Característica: Pagar una factura en línea desde el portal del comercio
  Como cliente de la Ferretería El Tornillo
  quiero pagar mis facturas desde el estado de cuenta con PayU o con PSE
  para no tener que ir a una oficina.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @GW-02
  Escenario: Una factura por debajo del monto mínimo no se puede pagar en línea
    Cuando el cliente con documento "79555111" abre su estado de cuenta en el comercio
    Entonces la factura "FV-1002" tiene el pago en línea desactivado por "amount_below_minimum"
    Y la factura "FV-1001" tiene el pago en línea activo
    Y forzar «Paga con PayU» en la factura "FV-1002" recibe 422 con el código "amount_below_minimum"

  @COL-16
  Escenario: En la pasarela se aceptan los términos, se elige Débito PSE, tipo de persona y banco, y «Pagar» lleva a PSE
    Cuando el cliente con documento "79555111" abre su estado de cuenta en el comercio
    Y pulsa «Paga con PayU» en la factura "FV-1001"
    Entonces la pasarela muestra los términos, «Débito PSE», el tipo de persona y la lista de bancos de PSE
    Cuando en la pasarela pulsa «Pagar» sin aceptar los términos
    Entonces la pasarela responde 422 con el código "terms_required" en el campo "terminos"
    Cuando en la pasarela acepta los términos, elige «Débito PSE», persona "N" y el banco "1022" y pulsa «Pagar»
    Entonces el navegador llega al portal de PSE con una transacción pendiente del banco "1022" por "350000.00"

  @GW-01
  Esquema del escenario: La pasarela identifica al comercio por su firma
    Cuando el comercio 508029 envía a la pasarela un pago de "350000.00" firmado <firma>
    Entonces la pasarela responde <estado> al formulario de pago

    Ejemplos:
      | firma                         | estado |
      | en MD5 con su llave API       | 200    |
      | en SHA256 con su llave API    | 200    |
      | en MD5 con otra llave         | 403    |
      | en MD5 sobre otro valor       | 403    |

  @PSE-02
  Escenario: El comercio muestra la lista de bancos PSE y el asociado elige Banco Cooperativo Coopcentral
    Cuando el cliente con documento "1033370434" elige «Pagar con PSE» en la factura "FV-1004"
    Entonces la lista de bancos empieza con "A continuación seleccione su banco" e incluye "BANCO COOPERATIVO COOPCENTRAL"
    Cuando elige el banco "1066" en el formulario PSE del comercio y pulsa «Pagar»
    Entonces el navegador llega al portal de PSE con una transacción pendiente del banco "1066" por "480000.00"
    Y con el correo "nick.rivera@example.com" el botón «Ir al Banco» lleva a la ventana de Banco Cooperativo Coopcentral
