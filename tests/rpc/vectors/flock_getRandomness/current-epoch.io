// the current epoch's randomness (epoch 0 at genesis)
>> {"jsonrpc":"2.0","id":1,"method":"flock_getRandomness"}
<< {"jsonrpc":"2.0","id":1,"result":{"epoch":"0x0","randomness":"0x0000000000000000000000000000000000000000000000000000000000000000","epochLength":"0x64","firstSlot":"0x0","current":true}}
