// not a block: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBlockTransactionCountByNumber","params":[true]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: block must be a number or one of latest, pending, earliest, safe, finalized, got True"}}
