// block numbers have no leading zeros: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","0x00"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: block number must be a 0x-prefixed hex number without leading zeros, got '0x00'"}}
