# language: es
@coop
Característica: La entrada mal formada se rechaza nombrando el campo, nunca con un error del servidor
  Como equipo de TI de una cooperativa
  quiero que cada campo mal escrito reciba un rechazo que lo nombre
  para corregir mi integración sin adivinar.

  Antecedentes:
    Dado que el sandbox está recién iniciado
    Y que la red llama al core bancario de la entidad "ALIANZA"
    Y el asociado con documento CC "1033370434"
    Y su producto "****7756"

  @COOP-03 @COOP-04 @COOP-05
  Esquema del escenario: Cada campo mal escrito de un débito, un abono o un reverso se nombra
    Cuando la red envía un <operación> con el campo "<campo>" en <valor>
    Entonces la respuesta es un rechazo <estado> que nombra el campo "<campo>"

    Ejemplos:
      | operación | campo          | valor            | estado |
      | débito    | amount         | "0.00"           | 422    |
      | débito    | amount         | "-1000.00"       | 422    |
      | débito    | amount         | "1000.001"       | 422    |
      | débito    | amount         | "1e3"            | 422    |
      | débito    | amount         | "1.000,00"       | 422    |
      | débito    | amount         | "١٠٠٠"           | 422    |
      | débito    | amount         | 1000             | 422    |
      | débito    | amount         | "<sin el campo>" | 422    |
      | débito    | currency       | "USD"            | 422    |
      | débito    | product_id     | "a b"            | 422    |
      | débito    | product_id     | "<sin el campo>" | 422    |
      | débito    | reference      | ""               | 422    |
      | débito    | reference      | "<sin el campo>" | 422    |
      | débito    | description    | 12               | 422    |
      | débito    | otro           | "x"              | 422    |
      | abono     | payment_option | "todo"           | 422    |
      | abono     | payment_option | "<sin el campo>" | 422    |
      | abono     | amount         | "99999999999999999999999" | 422 |
      | reverso   | reason         | ""               | 422    |
      | reverso   | reason         | "<sin el campo>" | 422    |
      | reverso   | reference      | "con espacio"    | 422    |
