# language: es
@coop
Característica: Consultar asociados y sus productos en el core bancario de la cooperativa
  Como red cooperativa
  quiero saber quién es un asociado y qué productos tiene en su cooperativa
  para ofrecerle pagar o recaudar sin mostrar nunca sus datos completos.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que la red llama al core bancario de la entidad "ALIANZA"

  @COOP-01
  Escenario: La entidad dice qué servicios tiene habilitados
    Cuando la red consulta la entidad
    Entonces la respuesta es 200

  @COOP-01
  Escenario: Un asociado se encuentra por su documento, con celular y correo enmascarados
    Cuando la red consulta el asociado con documento "CC" "1.033.370.434"
    Entonces la respuesta es 200
    Y el asociado es "NICK RIVERA CAMINERO" con celular "310****890" y correo "n***@example.com"
    Y la respuesta no contiene "3104567890"
    Y la respuesta no contiene "nick.rivera@example.com"
    Y el asociado tiene productos activos

  @COOP-01
  Esquema del escenario: Un documento desconocido o de otra entidad responde «no encontrado» y nada más
    Cuando la red consulta el asociado con documento "<tipo>" "<número>"
    Entonces la respuesta es 404 con el código "member_not_found"
    Y la respuesta no contiene "<nombre>"

    Ejemplos:
      | tipo | número     | nombre  |
      | CC   | 9999999999 | NICK    |
      | CE   | 987654     | SOFÍA   |

  @COOP-01
  Escenario: Sin la clave de la entidad no se responde nada
    Dado que la red llama al core de "ALIANZA" con la clave "clave-equivocada"
    Cuando la red consulta el asociado con documento "CC" "1033370434"
    Entonces la respuesta es 401 con el código "unauthorized"

  @COOP-01
  Esquema del escenario: Un documento mal escrito se rechaza nombrando el campo
    Cuando la red consulta el asociado con <campo> en <valor>
    Entonces la respuesta es un rechazo 422 que nombra el campo "<campo>"

    Ejemplos:
      | campo           | valor         |
      | document_type   | "XX"          |
      | document_type   | ""            |
      | document_number | "12"          |
      | document_number | "45.67.890"   |
      | document_number | "１０３３３７０４３４" |
      | document_number | "1033370434x!" |

  @COOP-02
  Escenario: Los productos traen tipo, número enmascarado, estado, saldos y las opciones de pago de los créditos
    Dado el asociado con documento CC "1033370434"
    Cuando la red consulta los productos del asociado
    Entonces la respuesta es 200
    Y el producto "****7756" es AV "Ahorros a la Vista", "active", con saldo "2500000.00" y disponible "2500000.00"
    Y el producto "****7626" es CR "Cupo de Crédito", "active", con saldo "1500000.00" y disponible "3000000.00"
    Y el producto "****7626" vence el "2026-12-30" con pago mínimo "1800.00" y total "1500000.00"
    Y el producto "****7626" admite débito PSE y acepta otro valor entre "1000.00" y "1500000.00"
    Y el producto "****8768" no admite débito PSE y acepta otro valor entre "1000.00" y "5000000.00"
    Y la respuesta no contiene "4001237756"

  @COOP-02
  Escenario: Un asociado con productos inactivos o cerrados los ve todos, y ninguno activo
    Cuando la red consulta el asociado con documento "CC" "52987654"
    Entonces el asociado no tiene productos activos
    Cuando la red consulta los productos del asociado
    Entonces los estados de los productos son "inactive, closed"

  @COOP-02
  Escenario: Los productos de un asociado desconocido no existen
    Cuando la red consulta los productos del asociado "M00000000000000000000"
    Entonces la respuesta es 404 con el código "member_not_found"
