import { EmbeddedSearchEngine } from "../../../services/search/engines/embedded-engine";
import { describeSearchEngine } from "./search-engine.behaviour";

describeSearchEngine("embedded", async () => new EmbeddedSearchEngine());
