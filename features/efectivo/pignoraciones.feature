# language: es
@efectivo
Característica: Pignoraciones que siempre terminan: liberación, vencimiento, reintentos y demoras
  Como red de cooperativas
  quiero que toda pignoración de una boca de cobranza termine aplicada o anulada exactamente una vez
  para que nunca quede dinero retenido por accidente ni se mueva dos veces.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @CASH-09 @CASH-05
  Escenario: El registro de la extracción falla: la pignoración se libera de inmediato
    Dado que el titular de la tarjeta "DIMO-0005" lee en la app DIMO su código soft-token
    Cuando el cajero de la boca "RC-099" abre SICOOP → extracción e ingresa la cédula "6789012", ese código y el monto "500000"
    Entonces la pantalla del cajero informa un error de registro sin mover efectivo
    Y SICOOP dejó la transacción "released"
    Y CEIBO anuló la pignoración de la transacción
    Y la tarjeta "DIMO-0005" tiene saldo "4000000" sin montos retenidos

  @CASH-09
  Escenario: El registro falla por una regla de comportamiento de la red
    Dado que la red de cobranzas no puede registrar operaciones
    Y que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "100000"
    Entonces la pantalla del cajero informa un error de registro sin mover efectivo
    Y CEIBO anuló la pignoración de la transacción

  @CASH-10
  Escenario: Sin confirmación ni liberación la pignoración vence y la confirmación tardía se rechaza
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando la plataforma de la boca "RC-001" pide a SICOOP una extracción de "100000" para la cédula "4567890" con ese código y la traza "T-VENCE-1"
    Entonces SICOOP aprueba la transacción con la pignoración vigente hasta "2026-01-15T15:02:00+00:00"
    Y la tarjeta "DIMO-0001" tiene "100000" retenido
    Cuando pasan 2 minutos
    Entonces SICOOP dejó la transacción "expired"
    Y CEIBO anuló la pignoración de la transacción
    Y la tarjeta "DIMO-0001" tiene saldo "5000000" sin montos retenidos
    Cuando la plataforma confirma tarde la transacción
    Entonces SICOOP rechaza la confirmación tardía con "expired"

  @CASH-11 @NET-01
  Escenario: Un reintento con el mismo número de traza no pignora dos veces
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando la plataforma de la boca "RC-001" pide a SICOOP una extracción de "100000" para la cédula "4567890" con ese código y la traza "T-DUP-1"
    Y la plataforma repite la misma solicitud
    Entonces SICOOP responde lo mismo que la primera vez
    Y CEIBO tiene una sola pignoración con la traza "T-DUP-1"
    Cuando la plataforma envía la traza "T-DUP-1" con el monto "200000"
    Entonces SICOOP rechaza la solicitud con el error "idempotency_conflict" en el campo "trace_number"
    Y la tarjeta "DIMO-0001" tiene "100000" retenido

  @CASH-11
  Escenario: Un doble clic del cajero no extrae dos veces
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "150000"
    Y el cajero envía otra vez el mismo formulario
    Entonces la pantalla del cajero indica entregar "₲ 150.000" al titular
    Y CEIBO tiene una sola pignoración de la tarjeta "DIMO-0001"
    Y la caja de la boca "RC-001" tiene "19850000"

  @NET-06 @CASH-04
  Escenario: CEIBO no responde a tiempo: SICOOP rechaza y no queda dinero retenido
    Dado que CEIBO demora 1.5 segundos en contestar cada pignoración
    Y que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "100000"
    Entonces la pantalla del cajero informa el rechazo "issuer_timeout" sin mover efectivo
    Y CEIBO anuló la pignoración de la transacción
    Y la tarjeta "DIMO-0001" tiene saldo "5000000" sin montos retenidos

  @NET-02
  Escenario: Tras una jornada mixta el dinero se conserva y la conciliación cuadra
    Dado que anoto los saldos de las tarjetas y el efectivo de las cajas
    Y que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Y el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "300000"
    Y el cajero de la boca "RC-002" abre SICOOP → depósito e ingresa el celular "0984456789" y el monto "80000"
    Y el cajero de la boca "RC-099" abre SICOOP → depósito e ingresa la cédula "4567890" y el monto "5000"
    Y que el titular de la tarjeta "DIMO-0003" lee en la app DIMO su código soft-token
    Y el cajero de la boca "RC-002" abre SICOOP → extracción e ingresa la cédula "2345678", ese código y el monto "60000"
    Y una extracción de "40000" de la tarjeta "DIMO-0004" en la boca "RC-002" cuyo registro tarda más que la pignoración
    Entonces cada guaraní que salió de una tarjeta salió de una caja y viceversa
    Y cada caja cuadra con lo que SICOOP le debe
    Y la conciliación de efectivo del día no muestra diferencias
