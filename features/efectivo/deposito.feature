# language: es
@efectivo
Característica: Depósito de efectivo a la tarjeta DIMO en una boca de cobranza
  Como titular de una tarjeta DIMO
  quiero depositar efectivo en una boca de la red de cobranzas con solo mi cédula o mi celular
  para tener el dinero en mi tarjeta.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @CASH-07 @CASH-08
  Esquema del escenario: Depósito aprobado: el cajero recibe el efectivo y la tarjeta lo acredita
    Cuando el cajero de la boca "RC-002" abre SICOOP → depósito e ingresa <identificación> y el monto "80000"
    Entonces la pantalla del cajero indica recibir "₲ 80.000" del titular
    Y SICOOP dejó la transacción "confirmed"
    Y CEIBO aplicó la pignoración de la transacción
    Y la tarjeta "DIMO-0004" tiene saldo "180000" sin montos retenidos
    Y la caja de la boca "RC-002" tiene "15080000"

    Ejemplos:
      | identificación           |
      | la cédula "5678901"      |
      | el celular "0984456789"  |

  @CASH-08 @CASH-09 @CASH-05
  Escenario: El registro del depósito falla: la pignoración se libera y no se recibe efectivo
    Cuando el cajero de la boca "RC-099" abre SICOOP → depósito e ingresa la cédula "5678901" y el monto "80000"
    Entonces la pantalla del cajero informa un error de registro sin mover efectivo
    Y la red de cobranzas registró la operación como "released"
    Y SICOOP dejó la transacción "released"
    Y CEIBO anuló la pignoración de la transacción
    Y la tarjeta "DIMO-0004" tiene saldo "100000" sin montos retenidos
    Y la caja de la boca "RC-099" tiene "10000000"
