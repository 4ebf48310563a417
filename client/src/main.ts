// The Restyle page's entry (index.html): one RestylePage (page.ts) wires everything.
import './style.css';
import { RestylePage } from './page';

new RestylePage().boot();
