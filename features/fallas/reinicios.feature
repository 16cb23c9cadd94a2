# language: es
@fallas
Característica: Un participante que se cae y vuelve conserva lo que confirmó
  Como equipo de TI de una red de cobranzas o de una cooperativa
  quiero que un participante que se cae (kill -9) y el supervisor vuelve a arrancar conserve todo lo que
  ya respondió, y que lo pendiente con otros se complete cuando vuelve
  para que el efectivo entregado siga debitado una sola vez y el día concilie sin diferencias.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @NET-08 @NET-02
  Esquema del escenario: Un participante del efectivo se cae después de un retiro completado
    Cuando el cajero de la boca "RC-001" registra un retiro de "150000" para la cédula "4567890" con el soft-token de "DIMO-0001"
    Y "<participante>" se cae y el supervisor lo vuelve a arrancar
    Entonces "<participante>" conserva todo lo que tenía antes de caerse
    Y la operación de la red queda "completed" con la caja en "19850000"
    Y la tarjeta "DIMO-0001" queda con saldo "4850000" y nada retenido
    Y la conciliación de SICOOP del día no muestra diferencias

    Ejemplos:
      | participante |
      | switch       |
      | ceibo        |
      | red          |

  @NET-08 @NET-02
  Esquema del escenario: Un participante del pago PSE se cae después de un pago aprobado
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU y el usuario "aprobado" del banco "1022"
    Y "<participante>" se cae y el supervisor lo vuelve a arrancar
    Entonces "<participante>" conserva todo lo que tenía antes de caerse
    Y la factura "FV-1001" queda "paid", el pedido "CAPTURED", la transacción de ACH "OK" y el banco con neto "-350000.00"
    Y ninguna transacción queda pendiente en ACH ni en la pasarela
    Y la conciliación entre banco, ACH, pasarela y comercio no muestra diferencias

    Ejemplos:
      | participante |
      | gateway      |
      | ach          |
      | bank         |
      | merchant     |
      | notify       |

  @NET-08 @NET-06 @CASH-09
  Escenario: Una confirmación que CEIBO no recibió por estar caído se aplica cuando CEIBO vuelve
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando la plataforma de la boca "RC-001" pide a SICOOP una extracción de "150000" para la cédula "4567890" con ese código y la traza "T-NET08-1"
    Y "ceibo" se detiene
    Y la plataforma confirma la transacción
    Entonces SICOOP respondió "confirmed" aunque CEIBO no lo supo todavía
    Y SICOOP sigue debiendo a CEIBO la "aplicación" de la transacción
    Cuando "ceibo" vuelve a arrancar
    Y pasan 2 minutos
    Entonces CEIBO aplicó la pignoración de la transacción
    Y SICOOP no debe nada a CEIBO
    Y la tarjeta "DIMO-0001" queda con saldo "4850000" y nada retenido

  @NET-08
  Escenario: El reloj del sandbox no vuelve atrás cuando un participante se reinicia
    Cuando pasan 60 minutos
    Y "switch" se cae y el supervisor lo vuelve a arrancar
    Entonces la hora del sandbox sigue siendo la de antes más 60 minutos

  @NET-08 @NET-02 @PSE-12
  Esquema del escenario: Un participante del pago PSE con una cuenta de la cooperativa (1066) se cae después de un pago aprobado
    Dado que el comercio "10002" pidió a ACH un pago PSE de "480000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****7756"
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Cuando "<participante>" se cae y el supervisor lo vuelve a arrancar
    Entonces "<participante>" conserva todo lo que tenía antes de caerse
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"
    Y ACH informa al comercio el pago en estado "OK" con autorización del banco
    Y el switch no debe nada a la cooperativa
    Y la conciliación de los pagos 1066 no muestra diferencias

    Ejemplos:
      | participante |
      | coop         |
      | switch       |

  @NET-08 @NET-02 @COL-20
  Esquema del escenario: Un participante de los recaudos se cae después de un pago abonado
    Dado que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)" y «Pago mínimo» a "Cupo de Crédito(****7626)"
    Cuando paga en la pasarela con el banco "1022" entrando como "aprobado" y vuelve al comercio
    Entonces el comprobante del switch muestra el estado "approved" con el CUS
    Cuando "<participante>" se cae y el supervisor lo vuelve a arrancar
    Entonces "<participante>" conserva todo lo que tenía antes de caerse
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" y "1800.00" a "****7626" con la referencia del pago
    Y el pago no tiene productos sin abonar
    Y la conciliación de recaudos del día no tiene diferencias

    Ejemplos:
      | participante |
      | coop         |
      | switch       |

  @NET-08 @NET-06 @PSE-12
  Escenario: Un asiento de débito que la cooperativa no recibió por estar caída se aplica cuando vuelve
    Dado que el comercio "10002" pidió a ACH un pago PSE de "480000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****7756"
    Y "coop" se detiene
    Y el asociado ingresa el código de seguridad que recibió
    Entonces el pago queda en proceso mientras el switch confirma con la cooperativa
    Y el switch sigue debiendo a la cooperativa "el asiento del débito" del pago
    Y la conciliación de los pagos 1066 lo muestra en proceso, sin diferencias
    Cuando "coop" vuelve a arrancar
    Y pasan 2 minutos
    Entonces el pago queda aprobado con un número de autorización y ofrece volver al comercio
    Y el switch no debe nada a la cooperativa
    Y la cooperativa debitó "480000.00" una sola vez de la cuenta "****7756"
    Y ACH informa al comercio el pago en estado "OK" con autorización del banco
    Y la conciliación de los pagos 1066 no muestra diferencias

  @NET-08 @NET-06 @COL-20
  Escenario: Un abono que la cooperativa no recibió por estar caída se aplica cuando vuelve
    Dado que el asociado "1033370434" inició en "ALIANZA" un pago de "20.000" a "Ahorros a la Vista(****7756)"
    Y que "coop" está detenido
    Cuando paga en la pasarela con el banco "1022" entrando como "aprobado" y vuelve al comercio
    Entonces el pago está "approved" en el switch
    Y el operador ve el pago entre los productos sin abonar
    Cuando "coop" vuelve a arrancar
    Y pasan 2 minutos
    Entonces el operador ya no ve productos sin abonar
    Y la cooperativa abonó una sola vez "20000.00" a "****7756" con la referencia del pago
    Y la conciliación de recaudos del día no tiene diferencias

  @NET-08 @NET-06 @NET-02
  Escenario: Un asiento que la cooperativa no contesta en 8 intentos queda para el operador y en la conciliación; al volver se resuelve
    Dado que el comercio "10002" pidió a ACH un pago PSE de "480000.00" con el banco "1066"
    Y que el asociado pasó por PSE con el correo "nick.rivera@example.com" y llegó a la ventana de Coopcentral
    Y que el asociado "CC" "1033370434" entró por "ALIANZA" al Portal de la Red como "nrivera" con la clave "Redcoop.2024"
    Cuando el asociado paga con la cuenta "****7756"
    Y "coop" se detiene
    Y el asociado ingresa el código de seguridad que recibió
    Y el switch reintenta 7 veces más, cada 10 minutos, sin respuesta de la cooperativa
    Entonces el operador ve que falta informar a la cooperativa "el asiento del débito" del pago tras 8 intentos
    Y la conciliación de los pagos 1066 cuenta como diferencia lo que el switch aún debe a la cooperativa
    Cuando "coop" vuelve a arrancar
    Y pasan 10 minutos
    Entonces el switch no debe nada a la cooperativa
    Y el pago termina rechazado porque "La autorización del débito venció" y ofrece volver al comercio
    Y la cooperativa no debitó nada de la cuenta "****7756"
    # ACH ya había dado el pago por fallido (20 minutos sin confirmación del banco): nunca «OK» sin débito
    Y ACH informa al comercio el pago en estado "FAILED"
    Y la conciliación de los pagos 1066 no muestra diferencias
