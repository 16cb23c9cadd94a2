# language: es
Característica: Operación del comercio en la pasarela: antifraude, reembolsos y reportes
  Como comercio
  quiero que la pasarela filtre el fraude, me deje reembolsar y me dé reportes
  para operar y conciliar mis cobros.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @GW-06
  Esquema del escenario: El antifraude rechaza un pago antes de enviarlo al banco, con un motivo propio
    Cuando el comercio 508029 envía por la API un pago PSE de "<valor>" del documento "<documento>"
    Entonces la pasarela lo rechaza con "ANTIFRAUD_REJECTED" por "<motivo>"
    Y ACH no recibió ninguna transacción

    Ejemplos:
      | valor       | documento | motivo           |
      | 150000.00   | 11111111  | blocked_document |
      | 20000000.01 | 79555111  | max_amount       |

  @GW-06
  Escenario: El antifraude limita los pagos de un mismo pagador por hora
    Cuando el comercio 508029 envía por la API 5 pagos PSE del documento "79555111"
    Y el comercio 508029 envía por la API un pago PSE de "150000.00" del documento "79555111"
    Entonces la pasarela lo rechaza con "ANTIFRAUD_REJECTED" por "velocity_document"
    Cuando pasan 1 hora
    Y el comercio 508029 envía por la API un pago PSE de "150000.00" del documento "79555111"
    Entonces la pasarela lo deja pendiente en el banco

  @GW-05
  Escenario: El comercio reembolsa por completo un pago aprobado, una sola vez, y la factura vuelve a deberse
    # PayU responde un reembolso PENDING (en revisión); la pasarela lo aprueba a los 10 minutos del reloj del
    # sandbox y lo confirma al comercio (transaction_type REFUND), que reabre la factura.
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU en el banco "1022"
    Y el banco "1022" aprueba el pago en PSE
    Y el cliente vuelve de PSE a la pasarela y pulsa «Regresar al comercio»
    Y el comercio reembolsa el pago "P-000001" desde su administración
    Y pasan 10 minutos
    Entonces la orden queda "REFUNDED" en la pasarela y el saldo de la cuenta "512321" vuelve a "0.00"
    Y la factura "FV-1001" está "open"
    Cuando el comercio reembolsa el pago "P-000001" desde su administración
    Entonces la administración del comercio responde 409 con el código "not_approved"

  @GW-07
  Escenario: El comercio lista y exporta sus transacciones de un periodo
    Cuando el cliente con documento "79555111" paga la factura "FV-1001" con PayU en el banco "1022"
    Y el banco "1022" aprueba el pago en PSE
    Y el cliente vuelve de PSE a la pasarela y cierra el navegador
    Y pasan 1 día
    Y el comercio 508029 envía por la API un pago PSE de "150000.00" del documento "11111111"
    Entonces el reporte del comercio del "2026-01-15" lista "FV-1001-1" como "APPROVED"
    Y el reporte del comercio del "2026-01-16" lista "API-1" como "DECLINED"
    Y el CSV del comercio del "2026-01-15" al "2026-01-16" tiene 2 transacciones
