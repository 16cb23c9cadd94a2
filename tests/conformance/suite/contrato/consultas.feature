# language: es
@conformidad
Característica: Consultas del núcleo cooperativo (contrato coop v1)
  La red consulta al núcleo de la cooperativa los asociados y sus productos; nunca recibe un
  celular, correo o número de producto completo.

  Antecedentes:
    Dado el núcleo de la cooperativa bajo prueba

  @COOP-01
  Escenario: Consultar un asociado por tipo y número de documento
    Cuando consulto el asociado con documento "CC" "1.033.370.434"
    Entonces la respuesta es 200
    Y la respuesta trae los campos "member_id, document_type, document_number, first_names, last_names, full_name, mobile_masked, email_masked, has_products"
    Y el nombre completo es "NICK RIVERA CAMINERO"
    Y el celular y el correo vienen enmascarados

  @COOP-01
  Escenario: Un documento desconocido responde «no encontrado» y nada más
    Cuando consulto el asociado con documento "CC" "99999999"
    Entonces la respuesta es un error 404 "member_not_found"

  @COOP-01
  Escenario: Un tipo de documento inválido se rechaza nombrando el campo
    Cuando consulto el asociado con documento "XX" "1033370434"
    Entonces la respuesta es un error 422 que nombra el campo "document_type"

  @COOP-01
  Escenario: Sin la clave de la API el núcleo no responde datos
    Cuando consulto el asociado con documento "CC" "1033370434" sin la clave de la API
    Entonces la respuesta es un error 401 "unauthorized"

  @COOP-02
  Escenario: Los productos del asociado traen lo que la red necesita, sin números completos
    Dado el asociado con documento "CC" "1033370434"
    Cuando consulto sus productos
    Entonces la respuesta es 200
    Y cada producto trae los campos "product_id, type, type_name, number_masked, status, currency, balance, available, due_date, minimum_payment, total_payment, other_min, other_max, credit, pse_debit, accepts_credit, caps"
    Y ningún producto muestra su número completo
    Y los valores de dinero son textos con dos decimales
    Y el producto terminado en "7756" es "AV", admite débito PSE y tiene saldo "2500000.00"
