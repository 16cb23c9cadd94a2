# language: es
@efectivo
Característica: Extracción de efectivo con la tarjeta DIMO en una boca de cobranza
  Como titular de una tarjeta DIMO
  quiero retirar efectivo en una boca de la red de cobranzas con mi cédula o mi celular y el
  código soft-token de la app
  para disponer de mi dinero sin ir a la cooperativa.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @CASH-01 @CASH-02 @CASH-03 @CASH-04 @CASH-05
  Escenario: Extracción aprobada, registrada y pagada
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "150000"
    Entonces la pantalla del cajero indica entregar "₲ 150.000" al titular
    Y la red de cobranzas registró la operación como "completed"
    Y SICOOP dejó la transacción "confirmed"
    Y CEIBO aplicó la pignoración de la transacción
    Y la tarjeta "DIMO-0001" tiene saldo "4850000" sin montos retenidos
    Y la caja de la boca "RC-001" tiene "19850000"

  @CASH-02 @CASH-03 @CASH-05
  Escenario: El titular se identifica con su número de celular
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Cuando el cajero de la boca "RC-002" abre SICOOP → extracción e ingresa el celular "0981 123 456", ese código y el monto "50000"
    Entonces la pantalla del cajero indica entregar "₲ 50.000" al titular
    Y la caja de la boca "RC-002" tiene "14950000"

  @CASH-04 @CASH-06
  Esquema del escenario: Extracción no aprobada: la red la registra como rechazada y no se mueve efectivo
    Dado que el titular de la tarjeta "<tarjeta>" lee en la app DIMO su código soft-token
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "<cédula>", ese código y el monto "<monto>"
    Entonces la pantalla del cajero informa el rechazo "<motivo>" sin mover efectivo
    Y la red de cobranzas registró la operación como "declined"
    Y la tarjeta "<tarjeta>" tiene saldo "<saldo>" sin montos retenidos
    Y la caja de la boca "RC-001" tiene "20000000"

    Ejemplos:
      | tarjeta   | cédula  | monto   | motivo               | saldo   |
      | DIMO-0003 | 2345678 | 60000   | insufficient_funds   | 50000   |
      | DIMO-0002 | 3456789 | 10000   | card_blocked         | 3000000 |
      | DIMO-0001 | 4567890 | 2500000 | over_transaction_cap | 5000000 |
      | DIMO-0001 | 1111111 | 10000   | unknown_card         | 5000000 |

  @CASH-06 @CASH-12
  Escenario: Un código soft-token equivocado se rechaza
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", un código equivocado y el monto "10000"
    Entonces la pantalla del cajero informa el rechazo "wrong_soft_token" sin mover efectivo
    Y la tarjeta "DIMO-0001" tiene saldo "5000000" sin montos retenidos

  @CASH-12
  Escenario: Un código soft-token sirve una sola vez
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Y el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "10000"
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "20000"
    Entonces la pantalla del cajero informa el rechazo "soft_token_reused" sin mover efectivo
    Y la tarjeta "DIMO-0001" tiene saldo "4990000" sin montos retenidos

  @CASH-12
  Escenario: Un código soft-token vale solo por una ventana corta
    Dado que el titular de la tarjeta "DIMO-0001" lee en la app DIMO su código soft-token
    Y que pasan 61 segundos
    Cuando el cajero de la boca "RC-001" abre SICOOP → extracción e ingresa la cédula "4567890", ese código y el monto "10000"
    Entonces la pantalla del cajero informa el rechazo "wrong_soft_token" sin mover efectivo
    Y la app DIMO muestra otro código para la tarjeta "DIMO-0001"
