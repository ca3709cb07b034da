import { run } from '../dynamic-sg/post.js';
void run();
