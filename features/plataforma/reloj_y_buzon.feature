# language: es
@plataforma
Característica: El reloj del sandbox y el buzón de mensajes
  Como QA de una cooperativa
  quiero mover el tiempo de toda la red y leer los OTP que llegan al celular
  para probar vencimientos sin esperar y completar los flujos sin un teléfono real.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  Escenario: Adelantar el reloj se ve en todos los participantes
    Cuando pasan 5 minutos
    Entonces todos los participantes marcan la hora de inicio más 5 minutos

  Escenario: El reloj avanza por etapas y nunca retrocede
    Cuando pasan 30 segundos
    Y pasan 2 horas
    Entonces todos los participantes marcan la hora de inicio más 7230 segundos

  @NET-05
  Escenario: Un código enviado por SMS aparece en el buzón y no en el diario
    Cuando el participante "switch" envía un SMS al "3104567890" con el código "482913"
    Entonces el buzón de "3104567890" muestra el código "482913" enviado por "switch"
    Y el buzón de "3009876543" está vacío
    Y el diario de "notify" registra la solicitud sin el código "482913"

  @NET-03
  Esquema del escenario: La API de control rechaza la entrada mal formada con un error que nombra el campo
    Cuando envío a cada participante un POST a "<ruta>" con el cuerpo '<cuerpo>'
    Entonces cada participante responde <estado> con el código de error "<código>" y el campo "<campo>"

    Ejemplos:
      | ruta            | cuerpo                                   | estado | código          | campo             |
      | /_sandbox/clock | {"advance_s": "mucho"}                   | 422    | invalid_field   | advance_s         |
      | /_sandbox/clock | {"advance_s": -5}                        | 422    | invalid_field   | advance_s         |
      | /_sandbox/clock | {"set": "2026-01-15T10:00:00"}           | 422    | invalid_field   | set               |
      | /_sandbox/clock | esto no es json                          | 422    | malformed_json  | -                 |
      | /_sandbox/rules | {"match": {"operation": "no.existe"}, "action": {"decline": "x"}} | 422 | unknown_operation | rules[0].match.operation |
      | /_sandbox/rules | [{"match": {}, "action": {}}]            | 422    | invalid_rule    | rules[0].match.operation |
      | /_sandbox/rules | 42                                       | 422    | invalid_rules   | rules             |
