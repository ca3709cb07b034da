import { run } from '../dynamic-sg/main.js';
void run();
