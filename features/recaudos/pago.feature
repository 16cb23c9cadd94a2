# language: es
Característica: Recaudos RedCoop Pagos PSE: el pago por PSE y su abono exactamente una vez
  Como asociado
  quiero que mis productos reciban lo que pagué por PSE, una sola vez,
  y nada si el banco no aprobó el pago.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @COL-16 @COL-17 @COL-18 @COL-19
  Escenario: Un pago aprobado por el banco se abona a cada producto y el comprobante lo muestra
    Dado que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)" y «Pago mínimo» a "Cupo de Crédito(****7626)"
    Cuando en la pasarela acepta los términos, elige «Débito PSE», persona natural y el banco "1022" y pulsa «Pagar»
    Y en PSE escribe el correo "nick.rivera@example.com" y pulsa «Ir al Banco»
    Y en el banco entra como "aprobado", paga y vuelve al comercio
    Entonces el comprobante del switch muestra el estado "approved" con el CUS
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" y "1800.00" a "****7626" con la referencia del pago
    Y el pago no tiene productos sin abonar
    Y la conciliación de recaudos del día no tiene diferencias

  @COL-19
  Escenario: Un pago rechazado en el banco no abona nada
    Dado que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)"
    Cuando paga en la pasarela con el banco "1022" entrando como "sinfondos" y vuelve al comercio
    Entonces el comprobante del switch muestra el estado "declined"
    Y la cooperativa no abonó nada con la referencia del pago
    Y la conciliación de recaudos del día no tiene diferencias

  @COL-19
  Escenario: Un pago pendiente se reconsulta a los 7 minutos y cada 12 hasta que se aprueba, aunque el asociado no vuelva
    Dado que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)"
    Cuando paga en la pasarela con el banco "1022" entrando como "pendiente" y no vuelve al comercio
    Entonces el switch aún no consultó el pago y la cooperativa no abonó nada con la referencia del pago
    Cuando pasan 7 minutos
    Entonces el switch consultó el pago 1 veces y sigue "pending"
    Cuando pasan 12 minutos
    Entonces el pago está "approved" en el switch
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" con la referencia del pago

  @COL-19
  Escenario: Un pago pendiente que luego falla no abona nada
    Dado que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)"
    Cuando paga en la pasarela con el banco "1022" entrando como "pendientefalla" y no vuelve al comercio
    Y pasan 7 minutos
    Y pasan 12 minutos
    Entonces el pago está "failed" en el switch
    Y la cooperativa no abonó nada con la referencia del pago

  @COL-20
  Escenario: Una confirmación repetida no abona dos veces
    Dado que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)"
    Cuando paga en la pasarela con el banco "1022" entrando como "aprobado" y vuelve al comercio
    Y la pasarela envía otra vez la misma confirmación firmada, dos veces
    Entonces el switch responde "OK (confirmación repetida, sin efectos)"
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" con la referencia del pago

  @COL-20 @COL-19
  Escenario: El asociado vuelve antes de la confirmación: el estado se consulta y se abona una sola vez
    Dado que el switch rechaza la próxima confirmación de la pasarela
    Y que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)"
    Cuando paga en la pasarela con el banco "1022" entrando como "aprobado" y vuelve al comercio
    Entonces el comprobante del switch muestra el estado "approved" con el CUS
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" con la referencia del pago
    Cuando pasan 10 minutos
    Entonces la pasarela entregó la confirmación al switch
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" con la referencia del pago

  @COL-20 @NET-06
  Escenario: Si la cooperativa no contesta el abono, se reintenta con la misma llave hasta saberlo, visible para el operador
    Dado que la cooperativa aplicará el próximo abono pero su respuesta se perderá
    Y que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)"
    Cuando paga en la pasarela con el banco "1022" entrando como "aprobado" y vuelve al comercio
    Entonces el pago está "approved" en el switch
    Y el operador ve el pago entre los productos sin abonar
    Cuando pasan 30 segundos
    Entonces el operador ya no ve productos sin abonar
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" con la referencia del pago
    Y la conciliación de recaudos del día no tiene diferencias
