# language: es
Característica: Recaudos RedCoop Pagos PSE: del documento a los productos
  Como asociado de una cooperativa de la red
  quiero pagar mis productos desde la página de mi entidad con solo mi documento
  para no tener que registrarme ni ir a una oficina.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @COL-08
  Escenario: Una entidad sin el servicio habilitado lo rechaza con una página clara
    Cuando una persona abre la página de recaudos de "SINCONVENIO"
    Entonces la página responde 403 con el código "service_disabled"
    Y pedir un código por la API para "SINCONVENIO" responde 403 con el código "service_disabled"

  @COL-01 @COL-09
  Escenario: Con tipo y número de documento se ve el nombre del asociado y se habilita «Consultar Productos»
    Cuando una persona abre la página de recaudos de "ALIANZA"
    Y escribe el documento "CC" "1.033.370.434" y pulsa «Continuar»
    Entonces ve «Bienvenido(a), NICK RIVERA CAMINERO» y el botón «Consultar Productos»

  @COL-09
  Escenario: Un documento desconocido recibe un mensaje claro y no revela nada más
    Cuando una persona abre la página de recaudos de "ALIANZA"
    Y escribe el documento "CC" "99999999" y pulsa «Continuar»
    Entonces la página responde 404 con el código "member_not_found"
    Y la página no muestra ningún nombre ni «Consultar Productos»

  @COL-05 @COL-10 @NET-04
  Escenario: «Consultar Productos» envía un código de 6 dígitos al celular y al correo registrados y la pantalla muestra el destino enmascarado
    Dado que el asociado "1033370434" pidió el código en "ALIANZA" desde la página
    Entonces la pantalla del código dice que se envió a "310****890" y a "n***@example.com"
    Y el buzón de "3104567890" tiene un código de 6 dígitos enviado por "switch"
    Y el buzón de "nick.rivera@example.com" tiene el mismo código
    Y pedir los productos antes del código responde 403 con el código "otp_required"
    Y el diario de "switch" no contiene el código enviado
    Cuando ingresa el código recibido en "3104567890"
    Entonces ve la información de productos

  @COL-02 @COL-11
  Escenario: Cada producto muestra su tipo y número enmascarado; los créditos, la fecha límite y sus opciones
    Dado que el asociado "1033370434" entró a sus productos en "ALIANZA"
    Entonces ve el producto "Ahorros a la Vista(****7756)" con un valor libre
    Y ve el producto "Aportes Sociales(****8768)" con un valor libre
    Y ve el producto "Cupo de Crédito(****7626)" con la fecha límite y las opciones No pagar, Pago mínimo, Pago total y Otro valor
    Y ningún número completo de producto aparece en la página

  @COL-11
  Escenario: Un asociado sin productos activos ve «No hay productos disponibles»
    Dado que el asociado "52987654" entró a sus productos en "ALIANZA"
    Entonces ve «No hay productos disponibles» y no puede continuar

  @COL-05
  Escenario: Una entidad que envía el código solo por SMS lo dice en la pantalla y no escribe al correo
    Dado que el asociado "987654" pidió el código en "OLOHZO" desde la página
    Entonces la pantalla del código dice que se envió solo a "301****344"
    Y el buzón de "3012223344" tiene un código de 6 dígitos enviado por "switch"
    Y el buzón de "sofia.herrera@example.com" no tiene códigos

  @COL-06
  Escenario: Un código sin usar vence a los 5 minutos
    Dado que el asociado "1033370434" pidió el código en "ALIANZA" desde la página
    Cuando pasan 5 minutos
    Y ingresa el código recibido en "3104567890"
    Entonces la pantalla del código responde 422 con el código "otp_expired"

  @COL-07
  Escenario: Un código nuevo se puede pedir cada 30 segundos y reemplaza al anterior
    Dado que el asociado "1033370434" pidió el código en "ALIANZA" desde la página
    Cuando pasan 10 segundos
    Y pulsa «Enviar otro código de seguridad»
    Entonces la pantalla del código responde 429 con el código "otp_resend_too_soon"
    Cuando pasan 20 segundos
    Y pulsa «Enviar otro código de seguridad»
    Entonces el buzón de "3104567890" tiene un código nuevo distinto del anterior
    Cuando ingresa el código anterior
    Entonces la pantalla del código responde 422 con el código "otp_invalid"
    Cuando ingresa el código recibido en "3104567890"
    Entonces ve la información de productos

  @NET-04
  Escenario: Cinco códigos errados bloquean el proceso, aun con el código correcto
    Dado que el asociado "1033370434" pidió el código en "ALIANZA" desde la página
    Cuando ingresa 4 veces un código errado
    Entonces la pantalla del código responde 422 con el código "otp_invalid"
    Cuando ingresa 1 veces un código errado
    Entonces la pantalla del código responde 423 con el código "otp_locked"
    Cuando ingresa el código recibido en "3104567890"
    Entonces la pantalla del código responde 423 con el código "otp_locked"
    Y pedir los productos antes del código responde 403 con el código "otp_required"
