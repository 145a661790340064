// an epoch of 2^64 has never been reached: null
>> {"jsonrpc":"2.0","id":1,"method":"flock_getRandomness","params":["0x10000000000000000"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
