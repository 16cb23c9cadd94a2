# language: es
@conformidad
Característica: Rechazos de débitos con su propio código (contrato coop v1)
  Fondos insuficientes, tope superado, producto inactivo o que no admite débitos: cada uno su código.

  @COOP-07
  Esquema del escenario: Cada rechazo de un débito tiene su código
    Dado el núcleo de la cooperativa bajo prueba
    Y el asociado con documento "CC" "<documento>"
    Y su producto terminado en "<producto>"
    Cuando autorizo un débito de "<valor>" con una clave nueva
    Entonces la respuesta es un error <estado> "<codigo>"
    Y el disponible del producto bajó exactamente "0.00"

    Ejemplos:
      | documento  | producto | valor    | estado | codigo                |
      | 80123456   | 0001     | 25000.00 | 422    | insufficient_funds    |
      | 80123456   | 0002     | 60000.00 | 422    | over_cap              |
      | 80123456   | 0003     | 1000.00  | 422    | over_cap              |
      | 52987654   | 9901     | 1000.00  | 422    | product_inactive      |
      | 1033370434 | 8768     | 1000.00  | 422    | product_not_debitable |
