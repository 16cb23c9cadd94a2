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
    Entonces la operación de la red queda "completed" con la caja en "19850000"
    Y la tarjeta "DIMO-0001" queda con saldo "4850000" y nada retenido
    Y la conciliación de SICOOP del día no muestra diferencias

    Ejemplos:
      | participante |
      | switch       |
      | ceibo        |
      | red          |

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
