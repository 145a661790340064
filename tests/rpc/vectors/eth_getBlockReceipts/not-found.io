// a block beyond the head: null
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBlockReceipts","params":["0x10"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
