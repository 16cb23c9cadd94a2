# language: es
Característica: Recaudos RedCoop Pagos PSE: productos, valores, pagador y detalle del pago
  Como asociado
  quiero elegir qué pago a cada producto y quién paga
  y que la red no acepte valores que mi cooperativa rechazaría.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que el asociado "1033370434" entró a sus productos en "ALIANZA"

  @COL-03
  Esquema del escenario: Cada valor se revisa contra las reglas del producto en la cooperativa
    Cuando elige <opcion> "<valor>" en "<producto>" y pulsa «Continuar»
    Entonces la página de productos responde 422 con el código "<codigo>"

    Ejemplos:
      | opcion      | valor        | producto                    | codigo               |
      | «Otro valor» | 500,00       | Cupo de Crédito(****7626)   | amount_below_minimum |
      | «Otro valor» | 1.500.000,01 | Cupo de Crédito(****7626)   | amount_above_maximum |
      | el valor    | 999,99       | Ahorros a la Vista(****7756) | amount_below_minimum |
      | el valor    | 60.000.000   | Ahorros a la Vista(****7756) | amount_above_maximum |

  @COL-03
  Escenario: Un producto inactivo no recibe dinero
    Cuando pide por la API pagar "20000.00" al producto inactivo "****9901" del asociado
    Entonces la API responde 422 con el código "product_inactive"

  @COL-12
  Escenario: La página suma los valores y el total debe ser mayor que cero para continuar
    Cuando deja «No pagar» en todos los productos y pulsa «Continuar»
    Entonces la página de productos responde 422 con el código "total_zero"
    Cuando elige el valor "20.000" en "Ahorros a la Vista(****7756)" y «Pago mínimo» en "Cupo de Crédito(****7626)" y pulsa «Continuar»
    Entonces el detalle muestra "Ahorros a la Vista(****7756)" por "$20.000,00", "Cupo de Crédito(****7626)" por "$1.800,00" y el total "$21.800,00"

  @COL-13 @COL-14
  Escenario: El pagador es el asociado por defecto y el detalle lista «PSE recaudos», una referencia única y cada producto
    Entonces el bloque del pagador muestra "NICK RIVERA CAMINERO" con "1033370434"
    Cuando elige el valor "20.000" en "Ahorros a la Vista(****7756)" y pulsa «Continuar»
    Entonces el detalle muestra «PSE recaudos», una referencia de 10 dígitos y el pagador "NICK RIVERA CAMINERO"
    Y el detalle muestra "Ahorros a la Vista(****7756)" por "$20.000,00" y el total "$20.000,00"
    Cuando pulsa «Iniciar transacción» con el código del pago, sin descripción y aceptando los términos
    Entonces el detalle responde 422 con el código "description_required"
    Y otra consulta del mismo asociado recibe otra referencia

  @COL-04
  Esquema del escenario: Un depositante diferente al asociado debe dar todos sus datos
    Cuando marca «¿Depositante diferente al asociado?» sin <campo>, elige el valor "20.000" en "Ahorros a la Vista(****7756)" y pulsa «Continuar»
    Entonces la página de productos responde 422 con el código "missing_field" en el campo "payer.<nombre>"

    Ejemplos:
      | campo                 | nombre          |
      | el número de documento | document_number |
      | los nombres           | first_names     |
      | los apellidos         | last_names      |
      | el correo electrónico | email           |
      | el número de celular  | mobile          |

  @COL-04
  Escenario: Con todos sus datos, un depositante diferente paga los productos del asociado
    Cuando marca «¿Depositante diferente al asociado?» con todos sus datos, elige el valor "20.000" en "Ahorros a la Vista(****7756)" y pulsa «Continuar»
    Entonces el detalle muestra el pagador "LAURA MARCELA GÓMEZ PARRA" como depositante diferente

  @COL-15
  Escenario: Aceptar los términos es obligatorio; «Iniciar transacción» lleva a la pasarela con el pago firmado
    Cuando elige el valor "20.000" en "Ahorros a la Vista(****7756)" y pulsa «Continuar»
    Y pulsa «Iniciar transacción» con el código del pago, la descripción "Ahorro de diciembre" y sin aceptar los términos
    Entonces el detalle responde 422 con el código "terms_required"
    Cuando pulsa «Iniciar transacción» con el código del pago, la descripción "Ahorro de diciembre" y aceptando los términos
    Entonces el navegador lleva a la pasarela un pago firmado por "20000.00" con la referencia del detalle
    Y la pasarela muestra su página de pago con el total "$20.000,00"

  @NET-07
  Escenario: Cambiar los valores después del código exige un código nuevo
    Cuando elige el valor "20.000" en "Ahorros a la Vista(****7756)" y pulsa «Continuar»
    Y guarda el código del pago
    Y vuelve a los productos, elige el valor "90.000" en "Ahorros a la Vista(****7756)" y pulsa «Continuar»
    Entonces el detalle avisa que el código ya no corresponde a los valores
    Cuando pulsa «Iniciar transacción» con el código guardado, la descripción "Ahorro" y aceptando los términos
    Entonces el detalle responde 422 con el código "otp_binding_mismatch"
    Cuando pasan 30 segundos
    Y pulsa «Enviar otro código»
    Entonces el buzón de "3104567890" tiene un código para pagar "$90.000,00"
    Cuando pulsa «Iniciar transacción» con el código del pago, la descripción "Ahorro" y aceptando los términos
    Entonces el navegador lleva a la pasarela un pago firmado por "90000.00" con la referencia del detalle
