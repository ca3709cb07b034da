import { run } from '../health-gate/main.js';

void run();
