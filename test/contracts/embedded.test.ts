// The port contracts against the embedded implementations (in-process bus, DuckDB).
import { Layer } from "effect"
import * as EmbeddedEventBus from "../../cluster/bus/EmbeddedEventBus.ts"
import * as DuckDb from "../../storage/embedded/DuckDb.ts"
import * as DuckDbAlertStore from "../../storage/embedded/DuckDbAlertStore.ts"
import * as DuckDbEventStore from "../../storage/embedded/DuckDbEventStore.ts"
import { alertStoreContract } from "./AlertStoreContract.ts"
import { eventBusContract } from "./EventBusContract.ts"
import { eventStoreContract } from "./EventStoreContract.ts"

eventBusContract("embedded", () => EmbeddedEventBus.layerEmbedded)
eventStoreContract("DuckDB", DuckDbEventStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))
alertStoreContract("DuckDB", DuckDbAlertStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))
