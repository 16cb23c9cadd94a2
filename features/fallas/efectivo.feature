# language: es
@fallas
Característica: Fallas en el retiro de efectivo: red de cobranzas ↔ switch ↔ CEIBO
  Como equipo de TI de una red de cobranzas o de una cooperativa
  quiero ver qué pasa cuando los mensajes del retiro se demoran, se pierden o llegan dos veces
  para saber que el efectivo entregado siempre queda debitado de la tarjeta, una sola vez,
  y que ninguna retención queda colgada.

  Antecedentes:
    Dado que el sandbox está recién iniciado

  @NET-06 @NET-02 @CASH-11
  Esquema del escenario: Una falla entre la red y el switch al pedir el retiro
    Dado que el proxy aplica una vez la falla "<falla>" de "red" a "switch" en "POST /sicoop/v1/withdrawals"
    Cuando el cajero de la boca "RC-001" registra un retiro de "150000" para la cédula "4567890" con el soft-token de "DIMO-0001"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la operación de la red queda "completed" con la caja en "19850000"
    Y la tarjeta "DIMO-0001" queda con saldo "4850000" y nada retenido
    Y la conciliación de SICOOP del día no muestra diferencias

    Ejemplos:
      | falla     |
      | error     |
      | reset     |
      | duplicate |
      | delay     |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera de la red
      | falla         |
      | drop_request  |
      | drop_response |

  @NET-06 @NET-02 @CASH-11 @CASH-09
  Esquema del escenario: Una falla entre la red y el switch al confirmar el retiro
    Dado que el proxy aplica una vez la falla "<falla>" de "red" a "switch" en "POST /sicoop/v1/withdrawals/*/confirm"
    Cuando el cajero de la boca "RC-001" registra un retiro de "150000" para la cédula "4567890" con el soft-token de "DIMO-0001"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la operación de la red queda "completed" con la caja en "19850000"
    Y la tarjeta "DIMO-0001" queda con saldo "4850000" y nada retenido
    Y la conciliación de SICOOP del día no muestra diferencias

    Ejemplos:
      | falla     |
      | error     |
      | reset     |
      | duplicate |
      | delay     |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera de la red
      | falla         |
      | drop_request  |
      | drop_response |

  @NET-06 @NET-02 @CASH-04 @CASH-06
  Esquema del escenario: Una falla entre el switch y CEIBO al pignorar
    Dado que el proxy aplica una vez la falla "<falla>" de "switch" a "ceibo" en "POST /ceibo/v1/holds"
    Cuando el cajero de la boca "RC-001" registra un retiro de "150000" para la cédula "4567890" con el soft-token de "DIMO-0001"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la operación de la red queda "<operacion>" con la caja en "<caja>"
    Y la tarjeta "DIMO-0001" queda con saldo "<saldo>" y nada retenido
    Y la conciliación de SICOOP del día no muestra diferencias

    Ejemplos:
      | falla     | operacion | caja     | saldo   |
      | error     | declined  | 20000000 | 5000000 |
      | reset     | declined  | 20000000 | 5000000 |
      | duplicate | completed | 19850000 | 4850000 |
      | delay     | completed | 19850000 | 4850000 |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera del switch
      | falla         | operacion | caja     | saldo   |
      | drop_request  | declined  | 20000000 | 5000000 |
      | drop_response | declined  | 20000000 | 5000000 |

  # Un «post» que no llega a CEIBO se reintenta: la retención de CEIBO dura lo bastante
  # (ceibo_hold_margin_s) para que el débito decidido a tiempo llegue después de la falla.
  @NET-06 @NET-02 @CASH-09 @CASH-11
  Esquema del escenario: Una falla entre el switch y CEIBO al aplicar la retención
    Dado que el proxy aplica una vez la falla "<falla>" de "switch" a "ceibo" en "POST /ceibo/v1/holds/*/post"
    Cuando el cajero de la boca "RC-001" registra un retiro de "150000" para la cédula "4567890" con el soft-token de "DIMO-0001"
    Y pasan 20 minutos
    Entonces el proxy aplicó la falla una vez
    Y la operación de la red queda "completed" con la caja en "19850000"
    Y la tarjeta "DIMO-0001" queda con saldo "4850000" y nada retenido
    Y la conciliación de SICOOP del día no muestra diferencias

    Ejemplos:
      | falla     |
      | error     |
      | reset     |
      | duplicate |
      | delay     |

    @slow
    Ejemplos: Caídas que esperan el tiempo de espera del switch
      | falla         |
      | drop_request  |
      | drop_response |
