// not a block: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBlockReceipts","params":["0xZZ"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: block number must be a 0x-prefixed hex number without leading zeros, got '0xZZ'"}}
